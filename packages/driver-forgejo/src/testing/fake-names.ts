/**
 * Forgejo's server-side name rules for generic packages, as the fake enforces them
 * (services/packages/generic/upload.go): wider than the portable set the driver sends.
 */
export const fakeNameRules = {
  /** `\A[-_+.\w]+\z`, not `..`; a one-character name must be a letter or digit. */
  packageName(name: string): boolean {
    if (!/^[-_+.\w]+$/.test(name) || name === "..") return false;
    return name.length > 1 || /^[A-Za-z0-9]$/.test(name);
  },
  /** `\A[-_+=:;.()\[\]{}~!@#$%^& \w]+\z`, no leading/trailing whitespace, not `.` or `..`. */
  fileName(name: string): boolean {
    return (
      /^[-_+=:;.()[\]{}~!@#$%^& \w]+$/.test(name) && name.trim() === name && name !== "." && name !== ".."
    );
  },
  /** Non-empty and equal to its trimmed self. */
  version(version: string): boolean {
    return version.length > 0 && version.trim() === version;
  },
};
