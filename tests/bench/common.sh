# SPDX-License-Identifier: GPL-3.0-or-later
#
# What the benchmarks share, sourced by each: installing the tools they drive, a free port on
# loopback, and the static upstream (nginx) they put Routewise in front of.

# bench_need COMMAND:PACKAGE... installs the packages whose command is missing, then builds
# Routewise when it is not built.
bench_need () {
  local need=() pair cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    type -P "$cmd" >/dev/null || [ -x "/usr/sbin/$cmd" ] || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    local sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
  fi
  [ -x _build/app/routewise-cli ] || bash build-aux/run build
}

free_port () {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bench_upstream DIR PORT BODY: nginx answering every POST /v1/chat/completions with BODY, as
# fast as it can say it; its pid file is DIR/nginx.pid.
bench_upstream () {
  local dir=$1 port=$2 body=$3
  cat > "$dir/nginx.conf" <<NGINX
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $dir;
  server {
    listen 127.0.0.1:$port;
    location /v1/chat/completions {
      default_type application/json;
      return 200 '$body';
    }
  }
}
NGINX
  "$(command -v nginx || echo /usr/sbin/nginx)" -c "$dir/nginx.conf" -p "$dir"
}
