/**
 * What a task asks of the model: one label per text (`classification`), per text pair (`pair`),
 * per word (`tagging`), or an answer written token by token after a prompt (`generation`, for
 * causal language models).
 */
export type TaskKind = 'classification' | 'pair' | 'tagging' | 'generation';

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

/**
 * A prompt and the answer the model should write after it (instruction tuning, question
 * answering). The causal-LM loss is taken on the response tokens (and the end-of-text token after
 * them) only, as `-100` labels on the prompt do in `transformers`.
 */
export interface GenerationExample {
  /** the text before the answer (empty for a conversation: `messages` is rendered instead) */
  prompt: string;
  /** the answer trained on (a conversation: its last assistant message, what evaluation compares with) */
  response: string;
  /**
   * A conversation (chat `messages`, ShareGPT's `conversations`): rendered with the tokenizer's
   * chat template when fine-tuning, every assistant turn trained on, the last one answered in
   * evaluation.
   */
  messages?: ChatMessage[];
  /** other answers scored as right (another lemma of the same synset); the metrics take the best match */
  alternatives?: string[];
}

/** One turn of a conversation, as chat templates take it. */
export interface ChatMessage {
  role: string;
  content: string;
}

export type Example = TextExample | TaggedExample | GenerationExample;

export interface TaskSplits<E extends Example = Example> {
  train: E[];
  dev: E[];
  test: E[];
}

export interface TaskData<E extends Example = Example> extends TaskSplits<E> {
  name: string;
  kind: TaskKind;
  /** label names; example labels index into it (empty for generation tasks) */
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
