import { UserError } from '@tunelab/core/internal';

const MAX_LISTED = 20;

/**
 * Everything wrong with a sweep config at once (not just the first problem), each naming its path;
 * `source` (the config file) prefixes the message when known.
 */
export class SweepConfigError extends UserError {
  constructor(
    readonly problems: readonly string[],
    source?: string,
  ) {
    super(format(problems, source));
  }

  withSource(source: string): SweepConfigError {
    return new SweepConfigError(this.problems, source);
  }
}

function format(problems: readonly string[], source?: string): string {
  const head = source ? `${source}: ` : '';
  if (problems.length === 1) return `${head}${problems[0]}`;
  const listed = problems
    .slice(0, MAX_LISTED)
    .map((p) => `\n  ${p}`)
    .join('');
  const more = problems.length > MAX_LISTED ? `\n  ... and ${problems.length - MAX_LISTED} more` : '';
  return `${head}${problems.length} problems:${listed}${more}`;
}
