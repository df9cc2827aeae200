// The model inputs: column pickers that write the longitudinal formula, the
// formula itself (any lme4 formula; its syntax checked as it is typed, in the
// formula worker), and REML or ML.
import { byId, h } from "./dom";
import { clearError, showError } from "./error-display";
import type { FormulaChecker } from "./formula-checker";
import { formulaFromRoles, guessRoles, type ColumnTypes, type Roles } from "./roles";

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

  private columns?: ColumnTypes;
  /** Only the latest check may change what the page shows. */
  private checks = 0;

  constructor(
    private readonly checker: FormulaChecker,
    onSubmit: () => void,
  ) {
    for (const select of [this.response, this.time, this.group, this.subject]) {
      select.addEventListener("change", () => this.writeFormulaFromRoles());
    }
    this.formulaInput.addEventListener("input", () => void this.check());
    this.formulaInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") onSubmit();
    });
  }

  get formula(): string {
    return this.formulaInput.value.trim();
  }

  set formula(text: string) {
    this.formulaInput.value = text;
    void this.check();
  }

  get REML(): boolean {
    return !this.mlInput.checked;
  }

  set REML(reml: boolean) {
    (reml ? this.remlInput : this.mlInput).checked = true;
  }

  /**
   * New data: offer its columns in the pickers. With a formula (an example's or
   * a link's) the pickers show its roles once it is checked; without, they show
   * a guess and write it.
   */
  setData(columns: ColumnTypes, formula?: string): void {
    this.columns = columns;
    const named = (kind?: "numeric" | "text") => columns.names.filter((n) => kind === undefined || columns.columns.get(n)!.kind === kind);
    fillSelect(this.response, named("numeric"), false);
    fillSelect(this.time, named("numeric"), true);
    fillSelect(this.group, named("text"), true);
    fillSelect(this.subject, named(), false);
    if (formula === undefined) {
      const guess = guessRoles(columns);
      if (guess) this.showRoles(guess);
      this.writeFormulaFromRoles();
      return;
    }
    this.formulaInput.value = formula;
    const text = this.formula;
    void this.check();
    // The same check as the line above: the checker runs it once.
    void this.checker.check(text, columns).then((result) => {
      if (result.ok && result.roles && this.formula === text && this.columns === columns) this.showRoles(result.roles);
    });
  }

  /**
   * Check the formula in the formula worker, showing the error with a caret;
   * true when it parses and no newer check has started since.
   */
  async check(): Promise<boolean> {
    const count = ++this.checks;
    const result = await this.checker.check(this.formula, this.columns);
    if (count !== this.checks) return false;
    if (result.ok) clearError(this.errorSlot);
    else this.showError(result.failure.message, result.failure.position);
    return result.ok;
  }

  /** A problem with the model (from the fit): next to the formula, with a caret when it has a position. */
  showError(message: string, position?: number): void {
    showError(this.errorSlot, message, position === undefined ? undefined : { text: this.formula, position });
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
