// Runs MicroPython code inside the WebAssembly port (@micropython/micropython-webassembly-pyscript)
// under node, with the compiled package and test data in its file system.
//
//   node runner.mjs [--lib DIR] [--dir HOSTDIR:FSDIR ...] [--heap KIB] (--case FILE | --script FILE [ARGS...])
//
//   --lib DIR     copied to /lib (on sys.path): the .mpy package from tests/mpy/compile.py
//   --dir A:B     host folder A copied to B in the wasm FS (e.g. tests/vectors:/vectors)
//   --heap KIB    initial MicroPython heap (the port grows it when full; default 512)
//   --case FILE   a test case file: mpytest.load() runs its top level, then mpytest.run_one()
//                 each test_* function (one top-level call each: the port collects garbage
//                 only between such calls), printing one "@@MPYTEST {json}" line per function
//                 and a total
//   --script FILE run FILE at the top level with sys.argv = [FILE, ARGS...] (benchmarks); if it
//                 defines __step__(), call that again and again until it returns a false value
//
// In both modes the module `jsclock` (now() = performance.now(), ms as a float) is importable,
// and `mpytest` (tests/mpy/mpytest.py) is on sys.path.
//
// Exit status: 0 when MicroPython returned normally, 2 on an uncaught Python error, 3 on usage.
// Pass/fail of cases is read from the @@MPYTEST lines by tests/mpy/test_mpy.py, not from the status.
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));

function usage(msg) {
  process.stderr.write(`runner.mjs: ${msg}\n`);
  process.exit(3);
}

const opts = { dirs: [], heap: 512, lib: null, caseFile: null, script: null, args: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--lib") opts.lib = argv[++i];
  else if (a === "--dir") opts.dirs.push(argv[++i]);
  else if (a === "--heap") opts.heap = parseInt(argv[++i], 10);
  else if (a === "--case") opts.caseFile = argv[++i];
  else if (a === "--script") { opts.script = argv[++i]; opts.args = argv.slice(i + 1); break; }
  else usage(`unknown argument ${a}`);
}
if (!opts.caseFile === !opts.script) usage("give exactly one of --case FILE or --script FILE");

let heapTotal = null;
let capture = null; // lines of micropython.mem_info() go here, not to stdout
const mp = await loadMicroPython({
  heapsize: opts.heap * 1024,
  linebuffer: true,
  stdout: (line) => {
    if (capture) capture.push(line);
    else process.stdout.write(line + "\n");
  },
  stderr: (line) => process.stderr.write(line + "\n"),
});

function mkdirs(p) {
  let cur = "";
  for (const part of p.split("/").filter(Boolean)) {
    cur += "/" + part;
    try { mp.FS.mkdir(cur); } catch (e) { /* exists */ }
  }
}

function copyTree(hostDir, fsDir) {
  mkdirs(fsDir);
  for (const ent of fs.readdirSync(hostDir, { withFileTypes: true })) {
    const src = path.join(hostDir, ent.name);
    const dst = fsDir + "/" + ent.name;
    if (ent.isDirectory()) copyTree(src, dst);
    else if (ent.isFile()) mp.FS.writeFile(dst, fs.readFileSync(src));
  }
}

function copyFile(hostFile, fsFile) {
  mkdirs(path.posix.dirname(fsFile));
  mp.FS.writeFile(fsFile, fs.readFileSync(hostFile));
}

if (opts.lib) {
  if (!fs.existsSync(opts.lib)) usage(`--lib ${opts.lib}: no such folder (run tests/mpy/compile.py)`);
  copyTree(fs.realpathSync(opts.lib), "/lib"); // one build, even if mpy-compile swaps the link meanwhile
}
for (const d of opts.dirs) {
  const k = d.lastIndexOf(":");
  if (k < 1) usage(`--dir ${d}: want HOSTDIR:FSDIR`);
  const host = d.slice(0, k);
  if (fs.existsSync(host)) copyTree(host, d.slice(k + 1));
  else mkdirs(d.slice(k + 1)); // a missing folder reads as empty; the cases that need it fail
}
copyFile(path.join(HERE, "mpytest.py"), "/harness/mpytest.py");

// The PyScript build freezes extra micropython-lib modules (logging, functools, os.path,
// ...) that the ESP32 firmware lacks: keep asyncio (frozen there too) loaded, then drop
// ".frozen" from sys.path so everything else fails to import as it would on a board.
const PRELUDE = "import sys\n" +
  "import asyncio, asyncio.core, asyncio.event, asyncio.funcs, asyncio.lock\n" +
  "sys.path[:] = ['', '/lib', '/harness']\n" +
  "for _m in ('os', 'os.path'):\n    sys.modules.pop(_m, None)\n";

const q = (s) => JSON.stringify(s); // a JSON string is a valid Python str literal here (ASCII paths)
// A wall clock for benchmarks (time.ticks_us has millisecond steps in this port).
mp.registerJsModule("jsclock", { now: () => performance.now() });

let status = 0;
function py(code) {
  try {
    mp.runPython(code);
    return true;
  } catch (e) {
    process.stdout.write(`@@MPYTEST {"kind": "crash", "error": ${JSON.stringify(String(e))}}\n`);
    status = 2;
    return false;
  }
}

// Each call below is a top-level entry: the port collects garbage only between them.
if (opts.caseFile) {
  copyFile(opts.caseFile, "/case/" + path.basename(opts.caseFile));
  if (py(PRELUDE + `import mpytest\n_names = mpytest.load(${q("/case/" + path.basename(opts.caseFile))})\n`)) {
    const names = String(mp.globals.get("_names") || "").split(",").filter(Boolean);
    for (const name of names) {
      if (!py(`mpytest.run_one(${q(name)})`)) break;
    }
    if (status === 0) py("mpytest.finish()");
  }
} else {
  // A script that defines __step__() gets it called again and again (one top-level
  // call each, so garbage is collected in between as in a long-running program) until
  // it returns a false value.
  copyFile(opts.script, "/script/" + path.basename(opts.script));
  const argvPy = "[" + [("/script/" + path.basename(opts.script)), ...opts.args].map(q).join(", ") + "]";
  if (py(PRELUDE + `sys.path.append("/script")\nsys.argv[:] = ${argvPy}\n` +
    `__file__ = sys.argv[0]\nexec(open(sys.argv[0]).read())\n_has_step = "__step__" in globals()\n`)) {
    if (mp.globals.get("_has_step")) {
      const step = mp.globals.get("__step__");
      for (;;) {
        let more;
        try {
          more = step();
        } catch (e) {
          process.stdout.write(`@@MPYTEST {"kind": "crash", "error": ${JSON.stringify(String(e))}}\n`);
          status = 2;
          break;
        }
        if (!more) break;
      }
    }
  }
}

// How big the heap grew: the port adds a heap area when a collection cannot make room,
// and collections wait for the top level, so this is the most that one top-level call
// (one case function) had live plus its garbage.
capture = [];
mp.runPython("import micropython\nmicropython.mem_info()");
for (const line of capture) {
  const m = /^GC: total: (\d+),/.exec(line);
  if (m) heapTotal = parseInt(m[1], 10);
}
capture = null;
if (heapTotal !== null) process.stdout.write(`@@MPYTEST {"kind": "heap", "total": ${heapTotal}, "initial": ${opts.heap * 1024}}\n`);
process.exit(status);
