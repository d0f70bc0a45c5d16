/**
 * Exclude rules for a linked folder, with .gitignore semantics (gitignore(5)), so a user's
 * `--exclude` globs and the folder's .gitignore files mean the same thing:
 * - `#` comments and blank lines are skipped; `!pattern` re-includes; the last match wins;
 * - a trailing `/` matches folders only;
 * - a pattern with a `/` other than at its end is anchored to the folder of its rules,
 *   otherwise it matches a name at any depth;
 * - `*` and `?` never cross `/`, `**` does; `[...]` is a character class.
 * Paths are '/'-separated and relative to the linked folder's root. Excluded folders are
 * pruned by the walks, so their contents are excluded too (as git does).
 */

interface Rule {
  readonly regex: RegExp;
  readonly negated: boolean;
  readonly directoryOnly: boolean;
  /** '' for the root, else 'sub/dir' (a nested .gitignore's folder). */
  readonly base: string;
}

function escapeRegex(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** The regex body of one glob (no anchors), `/`-aware. */
function globBody(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          if (i + 2 === glob.length) out += '.*';
          else {
            out += '(?:.*/)?';
            i += 1; // the '/' after ** is part of the group
          }
          i += 1;
          continue;
        }
      }
      out += '[^/]*';
      while (glob[i + 1] === '*') i++;
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (ch === '\\' && i + 1 < glob.length) {
      out += escapeRegex(glob[++i]);
    } else {
      out += escapeRegex(ch);
    }
  }
  return out;
}

/** Parses one rule line; undefined for comments and blank lines. */
export function parseRule(line: string, base = ''): Rule | undefined {
  let text = line.replace(/\r$/, '');
  if (!text.trim() || text.startsWith('#')) return undefined;
  // trailing spaces are ignored unless escaped
  text = text.replace(/(?<!\\)\s+$/, '');
  let negated = false;
  if (text.startsWith('!')) {
    negated = true;
    text = text.slice(1);
  } else if (text.startsWith('\\!') || text.startsWith('\\#')) {
    text = text.slice(1);
  }
  let directoryOnly = false;
  if (text.endsWith('/')) {
    directoryOnly = true;
    text = text.replace(/\/+$/, '');
  }
  if (!text) return undefined;
  const anchored = text.includes('/');
  if (text.startsWith('/')) text = text.slice(1);
  const body = globBody(text);
  const regex = new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`);
  return { regex, negated, directoryOnly, base };
}

export class ExcludeRules {
  private readonly rules: Rule[] = [];
  /** excludesPath's verdicts on folders (thousands of files share a few folders); cleared by add(). */
  private readonly folderVerdicts = new Map<string, boolean>();

  /** Rules from globs (the link's excludes, --exclude) or a .gitignore's lines, relative to base. */
  add(lines: readonly string[], base = ''): this {
    for (const line of lines) {
      const rule = parseRule(line, base);
      if (rule) this.rules.push(rule);
    }
    this.folderVerdicts.clear();
    return this;
  }

  get size(): number {
    return this.rules.length;
  }

  /**
   * True when rel (relative to the linked folder) is excluded. Only the path itself is
   * tested: callers prune excluded folders, which excludes everything under them.
   */
  excludes(rel: string, isDirectory: boolean): boolean {
    let excluded = false;
    for (const rule of this.rules) {
      if (rule.directoryOnly && !isDirectory) continue;
      let subject = rel;
      if (rule.base) {
        if (!rel.startsWith(`${rule.base}/`)) continue;
        subject = rel.slice(rule.base.length + 1);
      }
      if (rule.regex.test(subject)) excluded = !rule.negated;
    }
    return excluded;
  }

  /** True when rel or any folder above it is excluded (for paths not reached by a pruning walk). */
  excludesPath(rel: string, isDirectory: boolean): boolean {
    const slash = rel.lastIndexOf('/');
    if (slash > 0 && this.folderExcluded(rel.slice(0, slash))) return true;
    return this.excludes(rel, isDirectory);
  }

  /** excludesPath(folder, true), remembered. */
  private folderExcluded(folder: string): boolean {
    let verdict = this.folderVerdicts.get(folder);
    if (verdict === undefined) {
      verdict = this.excludesPath(folder, true);
      this.folderVerdicts.set(folder, verdict);
    }
    return verdict;
  }

  /** A fingerprint of the rules (the manifest notes which rules it was made with). */
  get key(): string {
    return this.rules.map((r) => `${r.base}|${r.negated ? '!' : ''}${r.directoryOnly ? 'd' : ''}${r.regex.source}`).join('\n');
  }
}
