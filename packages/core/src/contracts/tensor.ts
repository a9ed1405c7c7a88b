/** Tensor values on the host, as checkpoints and training states hold them. */
export type SafetensorsDtype = 'F32' | 'I32';

export interface RawTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Int32Array;
  /** the dtype in the file when it was converted to float32 (F16, BF16, F64) */
  storedAs?: string;
}
