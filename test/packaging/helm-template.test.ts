import assert from 'node:assert/strict';
import { TemplateSet } from './helm-template.js';

// The test renderer must behave like Go's text/template + Sprig where the chart relies on it;
// these cases pin that behaviour (expected outputs are what Helm renders).
const render = (source: string, root: unknown = {}, helpers = '') =>
  new TemplateSet({ 't.yaml': source, '_h.tpl': helpers }).render(root).get('t.yaml');

describe('helm-template test renderer', () => {
  it('trims whitespace around {{- and -}}', () => {
    assert.equal(render('a:\n  {{- if true }}\n  b: 1\n  {{- end }}\nc: 2'), 'a:\n  b: 1\nc: 2');
    assert.equal(render('x {{- "y" -}} z'), 'xyz');
    assert.equal(render('{{/* comment */}}a'), 'a');
  });

  it('follows Go truthiness and else-if chains', () => {
    const t = '{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}';
    assert.equal(render(t, { a: [], b: 0 }), 'C');
    assert.equal(render(t, { a: {}, b: 'x' }), 'B');
    assert.equal(render(t, { a: [1] }), 'A');
    assert.equal(render('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: {} }), 'none');
  });

  it('ranges over lists and sorted maps, with variables and $', () => {
    assert.equal(render('{{ range $i, $v := .l }}{{ $i }}={{ $v }}{{ $.sep }}{{ end }}', { l: ['a', 'b'], sep: ';' }), '0=a;1=b;');
    assert.equal(render('{{ range $k, $v := .m }}{{ $k }}{{ $v }}{{ end }}', { m: { b: 2, a: 1 } }), 'a1b2');
    assert.equal(render('{{ range .l }}x{{ else }}empty{{ end }}', { l: [] }), 'empty');
  });

  it('assigns to outer variables from inside a range (Go 1.11+)', () => {
    assert.equal(render('{{ $l := list }}{{ range .x }}{{ $l = append $l . }}{{ end }}{{ join "," $l }}', { x: ['a', 'b'] }), 'a,b');
  });

  it('includes named templates with their own dot and pipes into Sprig functions', () => {
    const helpers = '{{- define "name" -}}{{ .n | trunc 3 | trimSuffix "-" }}{{- end }}';
    assert.equal(render('{{ include "name" (dict "n" "ab-cd") | quote }}', {}, helpers), '"ab"');
    assert.equal(render('k:{{ toYaml .v | nindent 2 }}', { v: { b: [1], a: 'x' } }), 'k:\n  a: x\n  b:\n  - 1');
    assert.equal(render('{{ default "d" .missing }}/{{ default "d" .set }}', { set: 'v' }), 'd/v');
    assert.equal(render('{{ printf "%s-%s" "a" .b }}', { b: 'c' }), 'a-c');
  });

  it('refuses what it does not implement instead of guessing', () => {
    assert.throws(() => render('{{ tpl .x . }}'), /function "tpl" is not supported/);
    assert.throws(() => render('{{ if true }}'), /missing \{\{ end \}\}/);
    assert.throws(() => render('{{ include "nope" . }}'), /undefined template "nope"/);
  });
});
