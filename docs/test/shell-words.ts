/**
 * Splits a `bash` block into simple commands and their words — enough of the shell for
 * the lines docs show: quotes, `\` line continuations, `#` comments, and `&&`, `||`,
 * `;`, `|` between commands. `$(…)` and other expansions stay inside their word.
 * @module
 */

/** One simple command: its words (quotes removed) and the doc line it starts on (1-based). */
export interface ShellCommand {
  words: string[];
  line: number;
}

/** The simple commands of a block whose first line is `firstLine` in its doc. */
export function shellCommands(block: string, firstLine: number): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let word: string | null = null;
  let line = firstLine;
  let start = firstLine;
  const endWord = () => {
    if (word !== null) words.push(word);
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push({ words, line: start });
    words = [];
  };
  for (let i = 0; i < block.length; i++) {
    const c = block[i] as string;
    if (words.length === 0 && word === null) start = line;
    if (c === "\\" && block[i + 1] === "\n") {
      i++;
      line++;
    } else if (c === "\n") {
      endCommand();
      line++;
    } else if (c === " " || c === "\t") {
      endWord();
    } else if (c === "#" && word === null) {
      while (i + 1 < block.length && block[i + 1] !== "\n") i++;
    } else if (c === "'" || c === '"') {
      const close = block.indexOf(c, i + 1);
      const end = close === -1 ? block.length : close;
      const quoted = block.slice(i + 1, end);
      line += quoted.split("\n").length - 1;
      word = (word ?? "") + quoted;
      i = end;
    } else if (c === "&" || c === "|" || c === ";") {
      endCommand();
      if (block[i + 1] === c) i++;
    } else {
      word = (word ?? "") + c;
    }
  }
  endCommand();
  return commands;
}
