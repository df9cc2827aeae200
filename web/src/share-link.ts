// Shareable links: `?example=sleepstudy&formula=...&method=ML&factor=Days` names
// the data (a bundled example), the model, the method and the numeric columns
// switched to factors; opening one fits it at once.

export interface LinkState {
  example?: string;
  formula?: string;
  REML: boolean;
  /** Numeric columns treated as factors (one `factor` parameter each). */
  factors: string[];
}

export function readLink(url: URL): LinkState {
  const params = url.searchParams;
  return {
    example: params.get("example") ?? undefined,
    formula: params.get("formula") ?? undefined,
    REML: params.get("method")?.toUpperCase() !== "ML",
    factors: params.getAll("factor"),
  };
}

/** The page's URL for this state; REML, the default, is left out. */
export function linkTo(state: LinkState, base: URL): URL {
  const url = new URL(base);
  url.search = "";
  if (state.example) url.searchParams.set("example", state.example);
  if (state.formula) url.searchParams.set("formula", state.formula);
  if (!state.REML) url.searchParams.set("method", "ML");
  for (const f of state.factors) url.searchParams.append("factor", f);
  url.hash = "";
  return url;
}
