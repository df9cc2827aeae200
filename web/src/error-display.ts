// Error messages next to the input they are about, and a page-level banner for
// anything unexpected, so that no failure leaves a blank or silent page.
import { byId, h } from "./dom";

/**
 * Show a message in an input's error slot. With a formula position, the
 * formula is shown above it with a caret under the offending character.
 */
export function showError(slot: HTMLElement, message: string, formula?: { text: string; position: number }): void {
  slot.replaceChildren();
  if (formula) {
    const caret = `${" ".repeat(formula.position)}^`;
    slot.append(h("pre", { class: "caret", "aria-hidden": "true" }, `${formula.text}\n${caret}`));
  }
  slot.append(h("span", { class: "message" }, message));
  slot.hidden = false;
}

export function clearError(slot: HTMLElement): void {
  slot.replaceChildren();
  slot.hidden = true;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The banner at the top of the page, for failures that belong to no input. */
export function showPageError(what: unknown): void {
  showError(byId("page-error"), `Something went wrong: ${messageOf(what)}`);
}

/** Catch what nothing else caught (a bug of ours) and say so on the page. */
export function reportUncaughtErrors(): void {
  window.addEventListener("error", (event) => showPageError(event.error ?? event.message));
  window.addEventListener("unhandledrejection", (event) => showPageError(event.reason));
}
