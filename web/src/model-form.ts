// The model inputs: column pickers that write the longitudinal formula, a
// switch per numeric column to treat it as a factor (lmer's `factors`), the
// formula itself (any lme4 formula; its syntax checked as it is typed, in the
// formula worker), and REML or ML.
import { byId, h } from "./dom";
import { clearError, showError } from "./error-display";
import type { FormulaChecker } from "./formula-checker";
import { formulaFromRoles, guessRoles, withFactors, type ColumnTypes, type Roles } from "./roles";

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
  private readonly factorSwitches = byId<HTMLFieldSetElement>("factor-switches");
  private readonly factorColumns = byId("factor-columns");

  /** The data's column types, and those the model sees (numeric columns switched to factors as text). */
  private data?: ColumnTypes;
  private columns?: ColumnTypes;
  private factorSet: string[] = [];
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

  /** The numeric columns switched to factors, in the data's column order. */
  get factors(): string[] {
    return this.factorSet;
  }

  /**
   * New data: offer its columns in the pickers and its numeric columns in the
   * factor switches (`factors` switched on). With a formula (an example's or
   * a link's) the pickers show its roles once it is checked; without, they
   * show a guess and write it.
   */
  setData(columns: ColumnTypes, formula?: string, factors: string[] = []): void {
    this.data = columns;
    const numeric = columns.names.filter((n) => columns.columns.get(n)!.kind === "numeric");
    this.factorSet = numeric.filter((n) => factors.includes(n));
    this.factorColumns.replaceChildren(
      ...numeric.map((name) => {
        const box = h("input", { type: "checkbox", "data-column": name });
        box.checked = this.factorSet.includes(name);
        box.addEventListener("change", () => this.switchFactor(name, box.checked));
        return h("label", {}, box, ` ${name}`);
      }),
    );
    this.factorSwitches.hidden = numeric.length === 0;
    this.offerColumns();
    if (formula === undefined) {
      const guess = guessRoles(this.columns!);
      if (guess) this.showRoles(guess);
      this.writeFormulaFromRoles();
      return;
    }
    this.formulaInput.value = formula;
    this.showRolesOfFormula();
  }

  /** A numeric column switched to a factor or back: the pickers offer it as a group (or as a number), the formula stays. */
  private switchFactor(name: string, on: boolean): void {
    const names = this.data!.names;
    this.factorSet = names.filter((n) => (n === name ? on : this.factorSet.includes(n)));
    const chosen = [this.response, this.time, this.group, this.subject].map((s) => s.value);
    this.offerColumns();
    // Keep each choice the column still fits; the formula's roles then fill what it no longer does.
    [this.response, this.time, this.group, this.subject].forEach((s, i) => {
      if ([...s.options].some((o) => o.value === chosen[i])) s.value = chosen[i];
    });
    this.showRolesOfFormula();
  }

  /** Fill the pickers from the column types the model sees. */
  private offerColumns(): void {
    const columns = (this.columns = withFactors(this.data!, this.factorSet));
    const named = (kind?: "numeric" | "text") => columns.names.filter((n) => kind === undefined || columns.columns.get(n)!.kind === kind);
    fillSelect(this.response, named("numeric"), false);
    fillSelect(this.time, named("numeric"), true);
    fillSelect(this.group, named("text"), true);
    fillSelect(this.subject, named(), false);
  }

  /** Check the formula, then show the roles read from it (if the formula and columns are still the same). */
  private showRolesOfFormula(): void {
    const text = this.formula;
    const columns = this.columns;
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
