import fc from "fast-check";

/** Characters that mean something to a shell, plus awkward ones. */
const SHELL_SPECIAL = [..."'\"`$\\*?[]{}()<>|&;!#~=%^ \t\n\r-@:,./+"];

/** Any well-formed string without NUL: full unicode, control bytes, and shell syntax mixed in. */
export const anyArgument = fc
  .oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ unit: "binary-ascii", maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 20 }),
    fc.string({
      unit: fc.oneof(fc.constantFrom(...SHELL_SPECIAL), fc.string({ unit: "binary", maxLength: 1 })),
      maxLength: 40,
    }),
  )
  .map((s) => s.replaceAll("\0", ""));
