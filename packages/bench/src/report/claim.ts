/** One of the seed article's claims checked on a sweep's numbers. */
export type Verdict = 'held' | 'did not hold' | 'not testable in this sweep';

export interface Claim {
  title: string;
  /** where the statement comes from */
  source: string;
  verdict: Verdict;
  /** for a verdict of "not testable": what the sweep would need */
  needs?: string;
  /** the protocol the verdict rests on: budget, selection, rates tried, settings pruned (see protocol.ts) */
  protocol: string;
  evidence: string[];
}
