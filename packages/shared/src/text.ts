/**
 * Names that reach a terminal or a log come from the kernel, and an unprivileged user chooses
 * them: Linux accepts an interface called `a\x1b[2Jb` (clears the screen), and names with
 * bidirectional overrides that make a line read differently than it is. Everything printed for
 * people goes through `printable` (SPEC SEC3); the data itself keeps the real name.
 */

/** C0 controls, DEL, C1 controls, and the Unicode bidi embeddings/overrides/isolates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `a\x1b[31mb` → `a\x1b[31mb` spelled with a visible backslash escape: safe on a terminal, still tellable apart. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * One word for a POSIX shell: bare when it is made only of characters no shell treats specially,
 * else in single quotes (a single quote inside becomes '\''). For commands the app suggests to
 * paste into a root shell, where a name like `$(reboot)` must stay a name. (Quotes do not stop a
 * name that starts with `-` from reading as an option: the command puts such a name after `dev`.)
 */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
