// profile --svg: the flame graph of our busy program, opened in headless Chromium, shows bpfkit_busy_function as a
// visible frame, and clicking it zooms in: the frame becomes full width and its sibling is hidden.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { startBusyProgram } from '../fixtures/tools/busy.js';
import { kernelTest, skipOrFail } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';

const CHROMIUM = '/usr/bin/chromium';

kernelTest('profile --svg writes a flame graph that Chromium renders, with click to zoom', { timeout: 40000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    skipOrFail(t, `${CHROMIUM} is not installed`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-profile-svg-'));
  const svgPath = join(dir, 'flame.svg');
  try {
    {
      await using busy = await startBusyProgram();
      const r = await startTool('profile', ['-p', String(busy.pid), '-F', '99', '--svg', svgPath, '-f', '2']).exited();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /wrote a flame graph of \d+ samples/);
    }
    const svg = readFileSync(svgPath, 'utf8');
    assert.match(svg, /<title>bpfkit_busy_function \(\d+ samples?, [\d.]+%\)<\/title>/);

    const browser = await chromium.launch({
      executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      await page.goto(pathToFileURL(svgPath).href);
      const fullWidth = Number(await page.locator('g.f[data-d="0"] rect').getAttribute('width'));
      assert.ok(fullWidth > 1000, `root frame width ${fullWidth}`);
      // The widest frame titled bpfkit_busy_function (stacks may differ below it; take the main one).
      const frames = page.locator('g.f', { has: page.locator('title', { hasText: /^bpfkit_busy_function \(/ }) });
      const count = await frames.count();
      assert.ok(count > 0, 'no bpfkit_busy_function frame in the page');
      let target = frames.first();
      let before = 0;
      for (let i = 0; i < count; i++) {
        const w = Number(await frames.nth(i).locator('rect').getAttribute('width'));
        if (w > before) [before, target] = [w, frames.nth(i)];
      }
      assert.ok(await target.isVisible(), 'the bpfkit_busy_function frame is not visible');
      assert.ok(before < fullWidth * 0.95, `bpfkit_busy_function already spans ${before} of ${fullWidth}: the other function is missing`);

      await target.click();
      const after = Number(await target.locator('rect').getAttribute('width'));
      assert.equal(await target.locator('text').textContent(), 'bpfkit_busy_function', 'the zoomed frame is labelled in full');
      assert.ok(Math.abs(after - fullWidth) < 0.5, `after the click the frame is ${after} wide, not ${fullWidth}`);
      const other = page.locator('g.f', { has: page.locator('title', { hasText: /^bpfkit_other_function \(/ }) }).first();
      assert.equal(await other.isVisible(), false, 'the sibling frame stays visible after zooming');
      assert.ok(await page.locator('#reset').isVisible(), 'no Reset Zoom after zooming');

      await page.locator('#reset').click();
      assert.ok(Math.abs(Number(await target.locator('rect').getAttribute('width')) - before) < 0.5, 'reset did not restore the width');
      assert.ok(await other.isVisible(), 'the sibling frame is hidden after reset');
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
