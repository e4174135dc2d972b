'use strict';
// index.d.ts and winston.d.ts against what the package exports at run time, both ways: every
// export, method, getter and public field (an instance's own, or its class's prototype's;
// names starting with '_' are private) must be declared, and everything a class declares
// itself (but optional fields) must be there. The declarations are read with TypeScript's
// own checker, inherited members included (LtsTransport's from winston-transport).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const ts = require('typescript');

const lts = require('..');
const winston = require('../winston');

const HERE = path.join(__dirname, '..');
const CLIENT = { endpoint: 'http://127.0.0.1:9', access_key: 'ak', secret_key: 'sk', log_project: 'p' };

// Both files in one program, compiled as build.sh's tsc compiles test/types.ts.
const FILES = ['index.d.ts', 'winston.d.ts'].map((f) => path.join(HERE, f));
let program;

/** name -> {instance: all members (inherited too), own: [required members it declares], statics} */
function declared(file) {
  program ??= ts.createProgram(FILES, {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS,
  });
  const errors = ts.getPreEmitDiagnostics(program);
  assert.equal(errors.length, 0, ts.formatDiagnostics(errors, ts.createCompilerHost({})));
  const checker = program.getTypeChecker();
  const exports = new Map();
  for (const sym of checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)))) {
    if (!(sym.flags & ts.SymbolFlags.Value)) continue; // interfaces and type aliases
    const entry = { instance: null, own: [], statics: null };
    if (sym.flags & ts.SymbolFlags.Class) {
      const decl = sym.valueDeclaration;
      entry.instance = new Set(checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(sym)).map((p) => p.getName()));
      entry.statics = new Set(checker.getPropertiesOfType(checker.getTypeOfSymbolAtLocation(sym, decl)).map((p) => p.getName()));
      for (const m of decl.members) {
        const isStatic = (ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static) !== 0;
        if (m.name && !m.questionToken && !isStatic) entry.own.push(m.name.getText());
      }
    }
    exports.set(sym.getName(), entry);
  }
  return exports;
}

const isPublic = (name) => !name.startsWith('_') && name !== 'constructor';

/** The public names of `obj` at run time: its own, and its prototypes' while their class is
 *  one of the package's (a base class from elsewhere is declared elsewhere). */
function runtimeMembers(obj, packageClasses) {
  const names = new Set(Object.getOwnPropertyNames(obj));
  for (let p = Object.getPrototypeOf(obj); p && packageClasses.has(p.constructor); p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) names.add(n);
  }
  return [...names].filter(isPublic);
}

function check(file, module, instances) {
  const decl = declared(file);
  assert.deepEqual(Object.keys(module).sort(), [...decl.keys()].sort(), `${file}: the exports`);
  const classes = new Set(Object.values(module).filter((v) => typeof v === 'function' && decl.get(v.name)?.instance));
  for (const cls of classes) {
    const d = decl.get(cls.name);
    const statics = Object.getOwnPropertyNames(cls).filter((n) => isPublic(n) && !['length', 'name', 'prototype'].includes(n));
    for (const n of statics) assert.ok(d.statics.has(n), `${file}: static ${cls.name}.${n} is not declared`);
    const obj = instances[cls.name]();
    for (const n of runtimeMembers(obj, classes)) {
      assert.ok(d.instance.has(n), `${file}: ${cls.name}.${n} exists at run time but is not declared`);
    }
    for (const n of d.own) assert.ok(n in obj, `${file}: ${cls.name}.${n} is declared but missing at run time`);
  }
  return classes.size;
}

test('index.d.ts declares every export, method and field of the package, and nothing else', async () => {
  const made = [];
  try {
    const n = check(path.join(HERE, 'index.d.ts'), lts, {
      LtsError: () => Object.assign(new lts.LtsError('m', 1, 'LTS_ERR_INVALID_ARGUMENT', { statusCode: 0, message: '', error: '' }),
        { attempts: 1, logCount: 1 }),
      LogClient: () => new lts.LogClient(CLIENT),
      Producer: () => {
        const p = new lts.Producer(CLIENT);
        made.push(p);
        return p;
      },
    });
    assert.equal(n, 3, 'LtsError, LogClient and Producer were checked');
  } finally {
    for (const p of made) await p.close(0);
  }
});

test('winston.d.ts declares every export and member of liblts/winston', async () => {
  const made = [];
  try {
    const n = check(path.join(HERE, 'winston.d.ts'), winston, {
      LtsTransport: () => {
        const t = new winston.LtsTransport({ client: CLIENT, logUnit: 'u', loggerName: 'l', labels: { a: 'b' }, closeTimeoutMs: 0 });
        made.push(t);
        return t;
      },
    });
    assert.equal(n, 1, 'LtsTransport was checked');
  } finally {
    for (const t of made) await t._shutdown();
  }
});
