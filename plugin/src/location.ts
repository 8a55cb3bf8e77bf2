/** A place in a proto file (or another input file); line and column are 1-based, absent when unknown. */
export interface Location {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/** "file.proto:LINE:COL", or just the file when the line is unknown: the one text form of a location. */
export function formatLocation({ file, line, column }: Location): string {
  return line === undefined ? file : `${file}:${line}:${column ?? 1}`;
}
