// Shareable links: `?example=sleepstudy&formula=...&method=ML` names the data
// (a bundled example), the model and the method; opening one fits it at once.

export interface LinkState {
  example?: string;
  formula?: string;
  REML: boolean;
}

export function readLink(url: URL): LinkState {
  const params = url.searchParams;
  return {
    example: params.get("example") ?? undefined,
    formula: params.get("formula") ?? undefined,
    REML: params.get("method")?.toUpperCase() !== "ML",
  };
}

/** The page's URL for this state; REML, the default, is left out. */
export function linkTo(state: LinkState, base: URL): URL {
  const url = new URL(base);
  url.search = "";
  if (state.example) url.searchParams.set("example", state.example);
  if (state.formula) url.searchParams.set("formula", state.formula);
  if (!state.REML) url.searchParams.set("method", "ML");
  url.hash = "";
  return url;
}
