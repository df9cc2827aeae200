// The model inputs: column pickers that write the longitudinal formula, the
// formula itself (any lme4 formula; its syntax checked as it is typed), and
// REML or ML.
import { LmmError, parseFormula, type DataFrame } from "lmm-wasm";
import { byId, h } from "./dom";
import { clearError, showError } from "./error-display";
import { formulaFromRoles, guessRoles, rolesFromFormula, type Roles } from "./roles";

const NONE = "";

export class ModelForm {
  private readonly response = byId<HTMLSelectElement>("role-response");
  private readonly time = byId<HTMLSelectElement>("role-time");
  private readonly group = byId<HTMLSelectElement>("role-group");
  private readonly subject = byId<HTMLSelectElement>("role-subject");
  private readonly formulaInput = byId<HTMLInputElement>("formula-input");
  private readonly errorSlot = byId("formula-error");
  private readonly mlInput = byId<HTMLInputElement>("method-ml");
  private readonly remlInput = byId<HTMLInputElement>("method-reml");

  constructor(onSubmit: () => void) {
    for (const select of [this.response, this.time, this.group, this.subject]) {
      select.addEventListener("change", () => this.writeFormulaFromRoles());
    }
    this.formulaInput.addEventListener("input", () => this.checkSyntax());
    this.formulaInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") onSubmit();
    });
  }

  get formula(): string {
    return this.formulaInput.value.trim();
  }

  set formula(text: string) {
    this.formulaInput.value = text;
    this.checkSyntax();
  }

  get REML(): boolean {
    return !this.mlInput.checked;
  }

  set REML(reml: boolean) {
    (reml ? this.remlInput : this.mlInput).checked = true;
  }

  /**
   * New data: offer its columns in the pickers. With a formula (an example's or
   * a link's) the pickers show its roles; without, they show a guess and write it.
   */
  setData(frame: DataFrame, formula?: string): void {
    const columns = (kind?: "numeric" | "text") => frame.names.filter((n) => kind === undefined || frame.columns.get(n)!.kind === kind);
    fillSelect(this.response, columns("numeric"), false);
    fillSelect(this.time, columns("numeric"), true);
    fillSelect(this.group, columns("text"), true);
    fillSelect(this.subject, columns(), false);
    if (formula === undefined) {
      const guess = guessRoles(frame);
      if (guess) this.showRoles(guess);
      this.writeFormulaFromRoles();
      return;
    }
    this.formula = formula;
    try {
      const roles = rolesFromFormula(parseFormula(formula), frame);
      if (roles) this.showRoles(roles);
    } catch {
      // A malformed formula from a link: checkSyntax has already shown why.
    }
  }

  /** Check the formula's syntax, showing the error with a caret; true when it parses. */
  checkSyntax(): boolean {
    try {
      parseFormula(this.formula);
      clearError(this.errorSlot);
      return true;
    } catch (error) {
      if (!(error instanceof LmmError)) throw error;
      this.showError(error.message, error.position);
      return false;
    }
  }

  /** A problem with the model (from the fit): next to the formula, with a caret when it has a position. */
  showError(message: string, position?: number): void {
    showError(this.errorSlot, message, position === undefined ? undefined : { text: this.formula, position });
  }

  clearError(): void {
    clearError(this.errorSlot);
  }

  private showRoles(roles: Roles): void {
    this.response.value = roles.response;
    this.time.value = roles.time ?? NONE;
    this.group.value = roles.group ?? NONE;
    this.subject.value = roles.subject ?? "";
  }

  private writeFormulaFromRoles(): void {
    if (!this.response.value || !this.subject.value) return;
    this.formula = formulaFromRoles({
      response: this.response.value,
      time: this.time.value || undefined,
      group: this.group.value || undefined,
      subject: this.subject.value,
    });
  }
}

function fillSelect(select: HTMLSelectElement, names: string[], optional: boolean): void {
  const options = names.map((name) => h("option", { value: name }, name));
  if (optional) options.unshift(h("option", { value: NONE }, "(none)"));
  select.replaceChildren(...options);
}
