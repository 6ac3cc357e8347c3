#!/usr/bin/env node
// Lint Cypher files with Neo4j's own parser and semantic analyser (@neo4j-cypher/language-support).
//
// Usage: node .ci/cypher-lint/lint.mjs [--schema kg-schema.json] FILE.cypher...
//
// Neo4j's analyser accepts any property key (a database may hold anything), so this script adds
// one check of its own: every property key the parser sees (`n.key`, `{key: ...}`) must be one
// of kg's property keys or one of the `mapKeys` kg-schema.json lists for UNWIND row maps.
//
// The database schema given to the analyser holds kg's labels, relationship types and property
// keys (kg-schema.json, checked against kg.models by tests/test_cypher_lint.py), every built-in
// Neo4j 5 function, and only the procedures kg-schema.json allows (so APOC or a misspelt
// procedure is an error). Every diagnostic -- error or warning, e.g. an unknown label -- fails,
// except "Parameter $x is not defined" in files without a `// params:` header (schema files,
// generated loader statements); in files with one, the header declares the parameters, so a
// parameter missing from the header is an error too.
//
// Prints `file:line:col: severity: message` per diagnostic; exits 1 if there is any, 2 on usage
// errors, 0 otherwise.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The package's ESM build uses extension-less imports that Node cannot resolve: load the CJS build.
const require = createRequire(import.meta.url);
const { lintCypherQuery, testData, CypherLexer, CypherParser } = require('@neo4j-cypher/language-support');
const { CharStreams, CommonTokenStream } = require('antlr4');

const here = dirname(fileURLToPath(import.meta.url));
const VERSIONS = ['CYPHER 5', 'CYPHER 25'];
const SAMPLE = { str: '', int: 0, float: 0.0, bool: false };

function usage(message) {
  process.stderr.write(`${message}\nusage: node lint.mjs [--schema kg-schema.json] FILE.cypher...\n`);
  process.exit(2);
}

function buildDbSchema(kg) {
  // testData.mockSchema is the function/procedure registry the package ships (dumped from a Neo4j
  // server); take the built-in functions and only the procedures kg is allowed to call.
  const registry = testData.mockSchema;
  const functions = {};
  const procedures = {};
  for (const version of VERSIONS) {
    functions[version] = {};
    for (const [name, fn] of Object.entries(registry.functions[version] ?? {})) {
      if (fn.isBuiltIn) functions[version][name] = fn;
    }
    procedures[version] = {};
    for (const name of kg.procedures ?? []) {
      const proc = registry.procedures[version]?.[name];
      if (!proc) usage(`kg-schema.json: procedure ${name} is unknown to the linter (${version})`);
      procedures[version][name] = proc;
    }
  }
  return {
    labels: kg.labels,
    relationshipTypes: kg.relationshipTypes,
    propertyKeys: kg.propertyKeys,
    functions,
    procedures,
    defaultLanguage: 'CYPHER 5',
  };
}

// `// params: paper_id: str, limit: int = 10, type: str = null` -> {paper_id: '', limit: 0, type: ''}
function declaredParameters(text) {
  const line = text.split('\n').find((l) => /^\/\/\s*params:/.test(l));
  if (line === undefined) return null;
  const params = {};
  const body = line.replace(/^\/\/\s*params:/, '');
  for (const m of body.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(str|int|float|bool)\b/g)) {
    params[m[1]] = SAMPLE[m[2]];
  }
  return params;
}

// Every propertyKeyName node of the parse tree that is not in `allowed`, as diagnostics.
function unknownPropertyKeys(text, allowed) {
  const parser = new CypherParser(new CommonTokenStream(new CypherLexer(CharStreams.fromString(text))));
  parser.removeErrorListeners(); // syntax errors are lintCypherQuery's job
  const found = [];
  const walk = (node) => {
    if (node.ruleIndex === CypherParser.RULE_propertyKeyName) {
      const key = node.getText().replace(/^`|`$/g, '');
      if (!allowed.has(key)) {
        found.push({
          line: node.start.line,
          column: node.start.column,
          message: `Property key ${key} is not one of kg's property keys (kg-schema.json). Make sure you didn't misspell it`,
        });
      }
    }
    for (const child of node.children ?? []) walk(child);
  };
  walk(parser.statementsOrCommands());
  return found;
}

function main(argv) {
  let schemaPath = join(here, 'kg-schema.json');
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--schema') schemaPath = argv[++i] ?? usage('--schema needs a file');
    else if (argv[i].startsWith('-')) usage(`unknown option ${argv[i]}`);
    else files.push(argv[i]);
  }
  if (files.length === 0) usage('no files given');
  const kg = JSON.parse(readFileSync(schemaPath, 'utf8'));
  const base = buildDbSchema(kg);
  const allowedKeys = new Set([...(kg.propertyKeys ?? []), ...(kg.mapKeys ?? [])]);

  let problems = 0;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      console.log(`${file}:1:1: error: cannot read file (${e.code ?? e.message})`);
      problems++;
      continue;
    }
    const params = declaredParameters(text);
    const dbSchema = { ...base, parameters: params ?? {} };
    const diagnostics = lintCypherQuery(text, dbSchema);
    for (const d of diagnostics) {
      if (params === null && /^Parameter \$\S+ is not defined\.$/.test(d.message)) continue;
      const severity = d.severity === 1 ? 'error' : 'warning';
      const message = d.message.replace(/\s*\n\s*/g, ' ');
      console.log(`${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${severity}: ${message}`);
      problems++;
    }
    for (const k of unknownPropertyKeys(text, allowedKeys)) {
      console.log(`${file}:${k.line}:${k.column + 1}: error: ${k.message}`);
      problems++;
    }
    if (text.trim().length === 0) {
      console.log(`${file}:1:1: error: empty file`);
      problems++;
    }
  }
  if (problems > 0) {
    console.log(`${problems} problem(s) in ${files.length} file(s)`);
    process.exit(1);
  }
  console.log(`${files.length} file(s) OK`);
}

main(process.argv.slice(2));
