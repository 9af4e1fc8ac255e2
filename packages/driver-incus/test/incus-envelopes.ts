/** Incus REST envelopes and headers for the mocked-transport tests. */
export const JSON_HEADERS = { headers: { "content-type": "application/json" } };

/** An error envelope with Incus's code and message. */
export const error = (code: number, message: string) => ({
  type: "error",
  error: message,
  error_code: code,
  metadata: null,
});

/** A sync success envelope around `metadata`. */
export const sync = (metadata: unknown) => ({ type: "sync", status: "Success", status_code: 200, metadata });
