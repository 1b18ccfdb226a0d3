import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fromRepo, readJson } from './support.js';

// There is no Docker engine here, so the image cannot be built in tests: these checks pin the
// invariants a build would otherwise reveal (and a few it would not: a root user, a wrong
// entrypoint path, a context that leaks node_modules or .git).

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions in order, with `\` continuations joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue; // comment inside a continuation
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const full = pending + line;
    pending = '';
    const match = /^(\S+)\s+(.*)$/.exec(full);
    if (match) out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim() });
  }
  return out;
}

function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(/\s+/);
      assert.ok(image, 'FROM without an image');
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** Node.js major version of an official `node:` image or a distroless `nodejs<N>` image. */
function nodeMajorOf(image: string): number | undefined {
  const official = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)/.exec(image);
  if (official) return Number(official[1]);
  const distroless = /\/distroless\/nodejs(\d+)-/.exec(image);
  if (distroless) return Number(distroless[1]);
  return undefined;
}

/** Whether .dockerignore keeps `path` out of the build context (Docker's last-match-wins rules). */
function isIgnored(patterns: string[], path: string): boolean {
  const candidates = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = posix.normalize(negated ? raw.slice(1) : raw).replace(/\/$/, '');
    const regex = globToRegExp(pattern);
    if (candidates.some((candidate) => regex.test(candidate))) ignored = !negated;
  }
  return ignored;
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function dockerignorePatterns(): string[] {
  return readFileSync(fromRepo('.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

describe('Dockerfile', () => {
  const instructions = parseDockerfile(readFileSync(fromRepo('Dockerfile'), 'utf8'));
  const stages = stagesOf(instructions);
  const runtime = stages.at(-1)!;
  const runtimeOf = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword);

  it('is multi-stage and every stage runs Node.js 24', () => {
    assert.ok(stages.length >= 2, 'expected a build stage and a runtime stage');
    for (const stage of stages) {
      assert.equal(nodeMajorOf(stage.image), 24, `stage ${stage.name ?? '?'} uses ${stage.image}`);
    }
  });

  it('builds with the dev dependencies and ships production dependencies only', () => {
    const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const build = stages.find((stage) => runs(stage).some((cmd) => /\bnpm run build\b/.test(cmd)));
    assert.ok(build, 'no stage runs `npm run build`');
    assert.ok(runs(build).some((cmd) => /\bnpm ci\b/.test(cmd) && !/--omit=dev/.test(cmd)), 'build stage needs dev deps');

    const copies = runtimeOf('COPY').map((i) => i.args);
    const modules = copies.find((args) => /node_modules/.test(args));
    assert.ok(modules, 'runtime stage does not copy node_modules');
    const from = /--from=(\S+)/.exec(modules)?.[1];
    const depsStage = stages.find((stage) => stage.name === from);
    assert.ok(depsStage, `node_modules comes from an unknown stage ${from}`);
    assert.ok(
      runs(depsStage).some((cmd) => /\bnpm ci\b/.test(cmd) && /--omit=dev/.test(cmd) && /--omit=optional/.test(cmd)),
      'node_modules in the image must be installed with --omit=dev --omit=optional',
    );
    // Only compiled output, the package manifest (read by `kspan --version`) and the CRDs.
    const shipped = copies.map((args) => args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1)).flat();
    assert.deepEqual(new Set(shipped), new Set(['/app/node_modules', '/src/dist', 'package.json', 'crds']));
  });

  it('runs as a numeric non-root user', () => {
    const user = runtimeOf('USER').at(-1);
    assert.ok(user, 'runtime stage has no USER');
    const match = /^(\d+)(?::(\d+))?$/.exec(user.args);
    assert.ok(match, `USER must be numeric for runAsNonRoot, got ${user.args}`);
    assert.notEqual(Number(match[1]), 0);
    assert.equal(Number(match[1]), 65532, 'the chart and kustomize manifests set runAsUser 65532');
  });

  it('enters at the build output of src/cli.ts with the operator command', () => {
    const entrypoint = runtimeOf('ENTRYPOINT').at(-1);
    assert.ok(entrypoint, 'runtime stage has no ENTRYPOINT');
    const argv = JSON.parse(entrypoint.args) as string[]; // exec form: no shell in distroless
    assert.ok(Array.isArray(argv));
    assert.match(argv[0]!, /(^|\/)node$/);

    const tsconfig = readJson<{ compilerOptions: { rootDir: string; outDir: string } }>('tsconfig.build.json');
    const { rootDir, outDir } = tsconfig.compilerOptions;
    const expected = posix.join(outDir, posix.relative(rootDir, 'src/cli.ts')).replace(/\.ts$/, '.js');
    // Node.js runtime flags may stand between node and the script; the script is the first non-flag.
    const script = argv.findIndex((a, i) => i > 0 && !a.startsWith('-'));
    assert.equal(argv[script], expected);
    assert.equal(argv[script + 1], 'operator');
    for (const flag of argv.slice(1, script)) assert.match(flag, /^--[a-z-]+(=\S+)?$/, 'runtime flags only before the script');

    // The relative path resolves against WORKDIR, where dist/ is copied.
    const workdir = runtimeOf('WORKDIR').at(-1)?.args;
    const distCopy = runtimeOf('COPY').find((i) => /--from=\S+\s+\S*\/dist\s/.test(i.args));
    assert.ok(workdir && distCopy, 'runtime stage must set WORKDIR and copy dist/');
    assert.equal(posix.resolve(workdir, distCopy.args.split(/\s+/).at(-1)!), posix.join(workdir, outDir));
  });

  it('labels the image with OCI source, version and license', () => {
    const labels = runtimeOf('LABEL').map((i) => i.args).join(' ');
    for (const key of ['source', 'version', 'licenses']) {
      assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key}=`), `missing ${key} label`);
    }
    const pkg = readJson<{ version: string; license: string }>('package.json');
    const version = runtimeOf('ARG').find((i) => i.args.startsWith('VERSION='));
    assert.equal(version?.args, `VERSION=${pkg.version}`, 'default VERSION build arg must follow package.json');
    assert.match(labels, new RegExp(`licenses="${pkg.license}"`));
  });
});

describe('.dockerignore', () => {
  const patterns = dockerignorePatterns();

  it('keeps node_modules, .git and local artefacts out of the build context', () => {
    for (const path of ['node_modules', 'node_modules/yaml/package.json', '.git', '.git/HEAD', 'coverage/x.json',
      'dist/cli.js', 'src/node_modules/x', 'test/cli/main.test.ts', '.env']) {
      assert.ok(isIgnored(patterns, path), `${path} reaches the build context`);
    }
  });

  it('keeps everything the Dockerfile copies from the context', () => {
    const stages = stagesOf(parseDockerfile(readFileSync(fromRepo('Dockerfile'), 'utf8')));
    const sources = stages
      .flatMap((stage) => stage.instructions)
      .filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))
      .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1));
    assert.ok(sources.includes('src'));
    for (const source of sources) {
      const probe = ['src', 'crds'].includes(source) ? `${source}/some-file` : source;
      assert.ok(!isIgnored(patterns, probe), `${source} is excluded by .dockerignore but the Dockerfile copies it`);
    }
  });

  it('evaluates patterns the way Docker does (self-check of the matcher)', () => {
    assert.equal(isIgnored(['*', '!src/'], 'src/a/b.ts'), false);
    assert.equal(isIgnored(['*', '!src/', '**/*.test.ts'], 'src/a/b.test.ts'), true);
    assert.equal(isIgnored(['docs'], 'docsy'), false);
  });
});
