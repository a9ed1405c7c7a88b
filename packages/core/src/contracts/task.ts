export type TaskKind = 'classification' | 'pair' | 'tagging';

/** One text (or text pair) with one label index. */
export interface TextExample {
  text: string;
  textB?: string;
  label: number;
}

/** Words with one tag index per word. */
export interface TaggedExample {
  words: string[];
  tags: number[];
}

export type Example = TextExample | TaggedExample;

export interface TaskSplits<E extends Example = Example> {
  train: E[];
  dev: E[];
  test: E[];
}

export interface TaskData<E extends Example = Example> extends TaskSplits<E> {
  name: string;
  kind: TaskKind;
  /** label names; example labels index into it */
  labels: string[];
  /** for tagging: the tag that means "nothing to find" (spans are the other tags) */
  outsideLabel?: string;
  /** SHA-256 of the canonical splits: part of every trial's identity */
  hash: string;
  /** where the data came from, for the record */
  source: string;
}

export interface TaskLoadContext {
  /** a folder this task may cache derived files in */
  cacheDir: string;
}

/** A named task that core can build (the WordNet tasks, or a user's file). */
export interface TaskProvider {
  readonly name: string;
  readonly kind: TaskKind;
  readonly description: string;
  load(ctx: TaskLoadContext): Promise<TaskData>;
}
