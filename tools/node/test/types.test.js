// types.test.js -- index.d.ts describes the API: test/types.ts, which uses
// all of it, compiles with `tsc --noEmit --strict`, and a misuse does not.
// Needs the devDependency typescript (npm ci); skipped without it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const skip = !fs.existsSync(tsc) &&
    'node_modules/typescript is not installed (npm ci)';

// Compile files with the package resolved by its own name, as a user's
// code would import it.
function compile(files) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fpn-tsc-'));
	try {
		fs.mkdirSync(path.join(dir, 'node_modules'));
		fs.symlinkSync(root, path.join(dir, 'node_modules/forkpool'));
		fs.symlinkSync(path.join(root, 'node_modules/@types'),
		    path.join(dir, 'node_modules/@types'));
		const names = [];
		for (const [name, text] of Object.entries(files)) {
			fs.writeFileSync(path.join(dir, name), text);
			names.push(name);
		}
		execFileSync(process.execPath, [tsc, '--noEmit', '--strict',
		    '--module', 'nodenext', '--moduleResolution', 'nodenext',
		    '--target', 'es2022', '--types', 'node', ...names],
		    { cwd: dir, stdio: 'pipe' });
		return '';
	} catch (e) {
		return String(e.stdout) + String(e.stderr) || String(e);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

// One run of tsc (it takes seconds): types.mts must compile clean, each
// bad-*.mts must fail.
test('types.ts compiles with tsc --strict, misuses do not', { skip }, () => {
	const files = {
		'types.mts': fs.readFileSync(path.join(root, 'test/types.ts'),
		    'utf8'),
		'package.json': '{"type":"module"}',
	};
	const bad = {
		params: `await pool.run('echo', 'x');`,
		option: `new ForkPool({ conections: 2 });`,
		signal: `await pool.run('e', [], { signal: 5 });`,
		window: `await pool.stats('2h');`,
		code: `const e = new ForkPoolError('x', 'm'); e.attempts = 'a';`,
	};
	for (const [what, line] of Object.entries(bad)) {
		files[`bad-${what}.mts`] = 'import { ForkPool, ForkPoolError } ' +
		    `from 'forkpool';\nconst pool = new ForkPool();\n${line}\n` +
		    'void pool; void ForkPoolError;\nexport {};\n';
	}
	const out = compile(files);
	assert.doesNotMatch(out, /types\.mts/, out);
	for (const [what, line] of Object.entries(bad))
		assert.match(out, new RegExp(`bad-${what}\\.mts.*error TS`),
		    `${what}: ${line} compiled`);
});

// One version for everything: package.json follows FP_VERSION in
// include/forkpool.h, as the Python package does.
test('the package version is FP_VERSION', () => {
	const header = path.join(root, '../../include/forkpool.h');
	const m = /#define FP_VERSION\s+"([^"]+)"/.exec(
	    fs.readFileSync(header, 'utf8'));
	assert.ok(m, `no FP_VERSION in ${header}`);
	const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'),
	    'utf8'));
	assert.equal(pkg.version, m[1]);
});
