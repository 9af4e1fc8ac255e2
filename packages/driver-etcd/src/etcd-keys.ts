/** A UTF-8 string as the base64 the JSON gateway carries keys and values in. */
export function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** A base64 key or value from the JSON gateway as text. */
export function unb64(data: string | undefined): string {
  return Buffer.from(data ?? "", "base64").toString("utf8");
}

/** The base64 `range_end` that makes a range cover every key starting with `prefix`. */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, "utf8");
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = bytes.subarray(0, i + 1);
      end[i]! += 1;
      return end.toString("base64");
    }
  }
  return Buffer.from([0]).toString("base64");
}
