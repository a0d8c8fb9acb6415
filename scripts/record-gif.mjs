#!/usr/bin/env node
// docs/media/training.gif: training live in the lab panel, recorded by Playwright's video of the
// newcomer UI test and converted with Debian's ffmpeg. Not part of npm test or CI:
//
//   apt-get install -y ffmpeg              # Debian's ffmpeg (libvpx for the video, GIF output)
//   node scripts/record-gif.mjs            # runs the newcomer UI test with MNIST_LAB_RECORD_GIF=1, then converts
//   node scripts/record-gif.mjs --convert  # only converts the last recording (.test-artifacts/e2e/gif/)
//
// Playwright's recordVideo pipes the page's frames into its own ffmpeg build, which
// `playwright install ffmpeg` downloads from Playwright's CDN: these machines cannot reach it. It
// looks for that build at <registry>/ffmpeg-<revision>/ffmpeg-linux, the registry being
// PLAYWRIGHT_BROWSERS_PATH (else ~/.cache/ms-playwright) and the revision the one in
// playwright-core/browsers.json. So this script makes a private registry under
// .test-artifacts/playwright-registry/ holding only a symbolic link at that path to /usr/bin/ffmpeg,
// and runs the test with PLAYWRIGHT_BROWSERS_PATH pointing at it (Chromium is Debian's, given by
// path, so nothing else is looked up there). Debian's ffmpeg takes the arguments Playwright gives
// its own (matroska in, libvpx-vp9 out).
//
// The GIF: the recording between the panel showing the new run and two seconds after it finished,
// cropped to the panel, sped up, at a reduced frame rate and width, with a palette made for it
// (palettegen/paletteuse); the width and frame rate go down until it is at most 3 MB.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = process.env.MNIST_LAB_ARTIFACTS || join(root, '.test-artifacts');
const gifDir = join(artifacts, 'e2e', 'gif');
const out = join(root, 'docs', 'media', 'training.gif');
const FFMPEG = '/usr/bin/ffmpeg';
const MAX_BYTES = 3 * 1024 * 1024;
/** The GIF's length: the training (a minute or more here) sped up to about this. */
const TARGET_SECONDS = 14;

function die(message) {
  console.error(`record-gif: ${message}`);
  process.exit(1);
}

if (!existsSync(FFMPEG)) die(`${FFMPEG} is missing: apt-get install -y ffmpeg`);

/** The private Playwright registry whose ffmpeg is Debian's. */
function playwrightRegistry() {
  const require = createRequire(import.meta.url);
  const browsers = JSON.parse(readFileSync(join(dirname(require.resolve('playwright-core/package.json')), 'browsers.json'), 'utf8'));
  const revision = browsers.browsers.find((b) => b.name === 'ffmpeg')?.revision;
  if (!revision) die('playwright-core/browsers.json names no ffmpeg revision');
  const registry = join(artifacts, 'playwright-registry');
  const dir = join(registry, `ffmpeg-${revision}`);
  const link = join(dir, 'ffmpeg-linux');
  mkdirSync(dir, { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(FFMPEG, link);
  console.log(`record-gif: Playwright's ffmpeg ${link} -> ${FFMPEG}`);
  return registry;
}

function record() {
  rmSync(gifDir, { recursive: true, force: true });
  const env = {
    ...process.env,
    PLAYWRIGHT_BROWSERS_PATH: playwrightRegistry(),
    MNIST_LAB_RECORD_GIF: '1',
    MNIST_LAB_VSCODE_LAYERS: 'e2e',
    MNIST_LAB_E2E_ONLY: 'newcomer',
    MNIST_LAB_E2E_LAYER_TIMEOUT_S: process.env.MNIST_LAB_E2E_LAYER_TIMEOUT_S || '1500',
  };
  const r = spawnSync('npm', ['run', 'test:vscode'], { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) console.error(`record-gif: the UI test ended with ${r.status ?? r.signal}; converting what it recorded`);
}

function ffprobeDuration(file) {
  const r = spawnSync(FFMPEG, ['-hide_banner', '-i', file], { encoding: 'utf8' });
  const m = /Duration: (\d+):(\d+):([\d.]+)/.exec(r.stderr);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : NaN;
}

function convert() {
  const segFile = join(gifDir, 'segment.json');
  const videoFile = join(gifDir, 'video.json');
  if (!existsSync(segFile) || !existsSync(videoFile)) die(`no recording in ${gifDir} (segment.json, video.json): run without --convert`);
  const seg = JSON.parse(readFileSync(segFile, 'utf8'));
  const { video } = JSON.parse(readFileSync(videoFile, 'utf8'));
  if (!seg.endS) die(`${segFile} has no end: the training did not finish in the test`);
  const even = (x) => 2 * Math.floor(x / 2);
  const p = seg.panel;
  const crop = `crop=${even(p.width)}:${even(p.height)}:${Math.round(p.x)}:${Math.round(p.y)}`;
  const duration = ffprobeDuration(video);
  // From the panel showing the new run (before it, the webview is still being created: blank).
  const start = Math.max(0, (seg.panelShownS ?? seg.startS) - 0.5);
  const end = Math.min(Number.isFinite(duration) ? duration : seg.endS, seg.endS);
  const speed = Math.max(1, (end - start) / TARGET_SECONDS);
  mkdirSync(dirname(out), { recursive: true });
  for (const [width, fps, colours] of [
    [560, 10, 128],
    [520, 8, 96],
    [480, 8, 64],
    [440, 6, 64],
    [400, 5, 48],
  ]) {
    const filter =
      `${crop},setpts=PTS/${speed.toFixed(3)},fps=${fps},scale=${width}:-2:flags=lanczos,split[a][b];` +
      `[a]palettegen=max_colors=${colours}:stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=4:diff_mode=rectangle`;
    const r = spawnSync(
      FFMPEG,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-ss',
        String(start),
        '-to',
        String(end),
        '-i',
        video,
        '-filter_complex',
        filter,
        '-loop',
        '0',
        out,
      ],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) die(`ffmpeg failed (${r.status ?? r.signal})`);
    const size = statSync(out).size;
    console.log(
      `record-gif: ${out}: ${(size / 1024 / 1024).toFixed(2)} MB (${width} px, ${fps} fps, ${colours} colours, ${(end - start).toFixed(0)} s of video at ×${speed.toFixed(1)})`,
    );
    if (size <= MAX_BYTES) return;
  }
  die(`${out} is over 3 MB at the smallest settings`);
}

if (!process.argv.includes('--convert')) record();
convert();
