// The bundled example data sets: the repository's examples and reference data,
// copied into the built site as files and fetched only when chosen. Each comes
// with the model lme4's reference fit used, so the app shows lme4's numbers.
import sleepstudyUrl from "../../examples/sleepstudy.csv?url";
import orthodontUrl from "../../examples/orthodont.csv?url";
import oxboysUrl from "../../test/reference/data/oxboys.csv?url";
import penicillinUrl from "../../test/reference/data/penicillin.csv?url";
import pastesUrl from "../../test/reference/data/pastes.csv?url";
import instevalUrl from "../../test/reference/data/insteval.csv?url";

/** A bundled data set and the model to fit to it. */
export interface Example {
  /** The name in shareable links (`?example=sleepstudy`). */
  name: string;
  /** One line on what the data are. */
  about: string;
  url: string;
  formula: string;
}

export const EXAMPLES: Example[] = [
  {
    name: "sleepstudy",
    about: "reaction times of 18 subjects over 10 days of sleep deprivation (lme4)",
    url: sleepstudyUrl,
    formula: "Reaction ~ Days + (Days | Subject)",
  },
  {
    name: "orthodont",
    about: "jaw growth of 27 children from age 8 to 14, by sex (nlme)",
    url: orthodontUrl,
    formula: "distance ~ age * Sex + (age | Subject)",
  },
  {
    name: "oxboys",
    about: "heights of 26 boys at nine ages (nlme)",
    url: oxboysUrl,
    formula: "height ~ age + (age | Subject)",
  },
  {
    name: "penicillin",
    about: "penicillin assay: 24 plates crossed with 6 samples (lme4)",
    url: penicillinUrl,
    formula: "diameter ~ 1 + (1 | plate) + (1 | sample)",
  },
  {
    name: "pastes",
    about: "paste strength: casks nested in batches (lme4)",
    url: pastesUrl,
    formula: "strength ~ 1 + (1 | batch/cask)",
  },
  {
    name: "insteval",
    about: "73 421 lecture ratings, students x lecturers x departments crossed: a long fit (lme4)",
    url: instevalUrl,
    formula: "y ~ service + (1 | s) + (1 | d) + (1 | dept)",
  },
];

export function findExample(name: string): Example | undefined {
  return EXAMPLES.find((e) => e.name === name);
}
