// Small DOM helpers: the page is plain DOM, no framework.

/** The element with this id; the page's HTML defines every id the code uses. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no element #${id}.`);
  return el as T;
}

type Child = Node | string | null | undefined | false;

/** An element with attributes (`class`, `data-*`, ...; undefined ones left out) and children; text children are escaped. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) el.setAttribute(name, value);
  for (const child of children) if (child) el.append(child);
  return el;
}

/** A table from a header and rows of text cells; `numeric` columns are right-aligned. */
export function textTable(header: string[], rows: string[][], numeric: boolean[]): HTMLTableElement {
  const cell = (tag: "th" | "td", text: string, j: number) => h(tag, { class: numeric[j] ? "num" : undefined }, text);
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ...header.map((c, j) => cell("th", c, j)))),
    h("tbody", {}, ...rows.map((row) => h("tr", {}, ...row.map((c, j) => cell("td", c, j))))),
  );
}
