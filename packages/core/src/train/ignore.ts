/** Label value for positions that take no part in the loss or the metrics (`-100` in `transformers`). */
export const IGNORE = -1;
