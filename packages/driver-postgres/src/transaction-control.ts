import { sqlTokens } from "./sql-tokens";

/** A statement of a script that would end or start a transaction on its own. */
export interface TransactionControl {
  /** 1-based index of the statement in the script. */
  readonly statement: number;
  /** The statement's leading keywords, e.g. `COMMIT`. */
  readonly keyword: string;
}

/**
 * Finds the first statement that controls the transaction (BEGIN, START TRANSACTION,
 * COMMIT, END, ROLLBACK — but not ROLLBACK TO SAVEPOINT —, ABORT, PREPARE TRANSACTION).
 * Such a statement would break `applySql`'s all-or-nothing promise. Lexes PostgreSQL's
 * comments, quoted strings and identifiers, dollar quotes and `BEGIN ATOMIC … END`
 * bodies, so a keyword inside any of those is not a statement.
 */
export function findTransactionControl(sql: string): TransactionControl | null {
  let statement = 1;
  let words: string[] = [];
  let atomicDepth = 0;
  const endStatement = (): TransactionControl | null => {
    const found = classify(words);
    words = [];
    return found === null ? null : { statement, keyword: found };
  };
  for (const token of sqlTokens(sql)) {
    if (token.kind === "word") {
      const upper = token.text.toUpperCase();
      if (upper === "ATOMIC" && words.at(-1) === "BEGIN") atomicDepth += 1;
      else if (atomicDepth > 0 && upper === "CASE") atomicDepth += 1;
      else if (atomicDepth > 0 && upper === "END") atomicDepth -= 1;
      words.push(upper);
    } else if (token.kind === "symbol" && token.text === ";" && atomicDepth === 0) {
      const found = endStatement();
      if (found !== null) return found;
      statement += 1;
    } else if (token.kind === "symbol") {
      words.push(token.text);
    }
  }
  return endStatement();
}

function classify(words: readonly string[]): string | null {
  const [first, second] = words;
  switch (first) {
    case "BEGIN":
    case "COMMIT":
    case "END":
    case "ABORT":
      return first;
    case "START":
      return second === "TRANSACTION" ? "START TRANSACTION" : null;
    case "ROLLBACK":
      return second === "TO" ? null : "ROLLBACK";
    case "PREPARE":
      return second === "TRANSACTION" ? "PREPARE TRANSACTION" : null;
    default:
      return null;
  }
}
