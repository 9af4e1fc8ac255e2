/** Where the simulated Forgejo (registry and pipeline) says it lives, in run links and dry runs. */
export const MOCK_FORGEJO_URL = "http://forgejo.fleet";
