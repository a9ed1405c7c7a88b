/** A report table, rendered to Markdown, LaTeX and HTML. */
export interface TableCell {
  text: string;
  bold?: boolean;
}

export interface Table {
  id: string;
  title: string;
  /** an optional first header row of spanning labels (one per size in the main table) */
  groups?: { label: string; span: number }[];
  header: string[];
  align: ('l' | 'r')[];
  rows: TableCell[][];
  notes: string[];
}
