// Finds the dead relative links of Markdown pages: a link whose file is missing, or whose
// #anchor is no heading of its target (GitHub's heading ids). Run on the repository
// (`node scripts/check-links.mjs`) and, by scripts/e2e.mjs, on the unpacked npm package, where
// a page may only link to what ships. Web links (http:, https:, mailto:) are not followed.
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {dirname, join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';

/** The Markdown pages a user reads: top-level *.md and docs/*.md under `root`. */
export function markdownPages(root) {
  const pages = readdirSync(root).filter(f => f.endsWith('.md'));
  if (existsSync(join(root, 'docs'))) {
    pages.push(
      ...readdirSync(join(root, 'docs'))
        .filter(f => f.endsWith('.md'))
        .map(f => `docs/${f}`)
    );
  }
  return pages;
}

/** The text outside fenced code blocks and inline code, where a link is a link. */
function prose(markdown) {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's ids for the headings of a page: lower case, punctuation dropped, spaces as hyphens. */
export function headingIds(markdown) {
  const ids = new Set();
  const seen = new Map();
  for (const [, text] of prose(markdown).matchAll(/^#{1,6}\s+(.*?)\s*#*\s*$/gm)) {
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

/** `[{page, link, problem}]` for every dead relative link of `pages` (paths under `root`). */
export function deadLinks(root, pages) {
  const dead = [];
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8');
    for (const [, link] of prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^(https?|mailto):/.test(link)) continue;
      const [path, anchor] = link.split('#');
      const target =
        path === '' ? join(root, page) : join(root, dirname(page), decodeURIComponent(path));
      const problem =
        !relative(root, target) || relative(root, target).startsWith('..')
          ? 'leaves the folder'
          : !existsSync(target)
            ? 'no such file'
            : anchor &&
                statSync(target).isFile() &&
                target.endsWith('.md') &&
                !headingIds(readFileSync(target, 'utf8')).has(anchor)
              ? `no heading #${anchor}`
              : null;
      if (problem) dead.push({page, link, problem});
    }
  }
  return dead;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? '.';
  const pages = markdownPages(root);
  const dead = deadLinks(root, pages);
  for (const d of dead) console.log(`${d.page}: ${d.link}: ${d.problem}`);
  console.log(`${pages.length} pages, ${dead.length} dead links`);
  process.exit(dead.length ? 1 : 0);
}
