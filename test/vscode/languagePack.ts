// A display-language pack for the UI tests in another language. VS Code (and code-server, whose
// --locale is VS Code's display language) switches language only when a language pack extension
// for it is installed: it then reads the pack's translations of its own strings, resolves the
// display language, and an extension's package.nls.<lang>.json and l10n/bundle.l10n.<lang>.json
// follow. Microsoft's packs come from the Marketplace, which these machines cannot reach; none
// ships with code-server or on the npm registry in VS Code's format (the npm pack for
// monaco-vscode-api numbers its messages for that project's build, not for code-server's). So the
// tests build a pack with no translations of VS Code's own strings: VS Code's menus stay English,
// while the display language really is zh-cn and everything MNIST Lab shows is Chinese.
//
// code-server's --install-extension does not index the pack (VS Code's language-pack cache,
// <user-data>/languagepacks.json, is written by its extension service when it installs a pack, not
// by the CLI), so registerLanguagePack writes the entry that cache would hold.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PUBLISHER = 'mnist-lab-test';

/** Builds the pack's .vsix in `dir` with vsce and returns its path. */
export function makeLanguagePackVsix(
  root: string,
  dir: string,
  locale: string,
  languageName: string,
  localizedLanguageName: string,
): string {
  mkdirSync(join(dir, 'translations'), { recursive: true });
  writeFileSync(join(dir, 'translations', 'main.i18n.json'), `${JSON.stringify({ version: '1.0.0', contents: {} })}\n`);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: `${locale}-display-language`,
        displayName: `${languageName} display language (MNIST Lab tests)`,
        description: `Makes ${locale} a display language code-server resolves; translates none of VS Code's own strings.`,
        publisher: PUBLISHER,
        version: '1.0.0',
        license: 'MIT',
        engines: { vscode: '^1.100.0' },
        categories: ['Language Packs'],
        contributes: {
          localizations: [
            {
              languageId: locale,
              languageName,
              localizedLanguageName,
              translations: [{ id: 'vscode', path: './translations/main.i18n.json' }],
            },
          ],
        },
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, 'README.md'), `# ${languageName} display language for the MNIST Lab UI tests\n`);
  writeFileSync(join(dir, 'LICENSE'), 'MIT\n');
  const out = join(dir, `${locale}-display-language.vsix`);
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--allow-missing-repository', '--skip-license', '--out', out], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0)
    throw new Error(`vsce package of the ${locale} language pack failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return out;
}

/**
 * Adds the installed pack to VS Code's language-pack index as VS Code's LanguagePacksCache would:
 * { [languageId]: { hash: md5(id + version of each pack), extensions, translations: { vscode: main.i18n.json }, label } }.
 */
export function registerLanguagePack(userDataDir: string, extensionsDir: string, locale: string, label: string): void {
  const id = `${PUBLISHER}.${locale}-display-language`;
  const installed = JSON.parse(readFileSync(join(extensionsDir, 'extensions.json'), 'utf8')) as {
    identifier: { id: string };
    version: string;
    location: { fsPath: string };
  }[];
  const pack = installed.find((e) => e.identifier.id.toLowerCase() === id);
  if (!pack) throw new Error(`the ${locale} language pack (${id}) is not installed in ${extensionsDir}`);
  const hash = createHash('md5').update(pack.identifier.id).update(pack.version).digest('hex');
  const index = {
    [locale]: {
      hash,
      extensions: [{ extensionIdentifier: pack.identifier, version: pack.version }],
      translations: { vscode: join(pack.location.fsPath, 'translations', 'main.i18n.json') },
      label,
    },
  };
  writeFileSync(join(userDataDir, 'languagepacks.json'), JSON.stringify(index));
}
