#!/bin/sh
# examples/httplib_app over loopback, with curl: the browser's side of
# jwtguard/http.h (cookies, CSRF, refresh, logout) and a header client's.
# Usage: httplib_app_check.sh PROGRAM STORE_URL WORK_DIR
set -u
app=$1 store=$2 work=$3
rm -rf "$work" && mkdir -p "$work" || exit 1
failures=0

"$app" 0 "$store" >"$work/port" 2>"$work/stderr" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' EXIT
for _ in $(seq 100); do
  [ -s "$work/port" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/stderr"; echo "the example exited"; exit 1; }
  sleep 0.1
done
port=$(head -n 1 "$work/port")
case $port in '' | *[!0-9]*) echo "no port on stdout"; exit 1 ;; esac
base=http://127.0.0.1:$port

# request NAME METHOD PATH [curl options]: the response's headers in
# $work/NAME.head, its body in $work/NAME.body, its status in $status.
request() {
  name=$1 method=$2 path=$3
  shift 3
  # A POST sends its (empty) body's length, as browsers do.
  [ "$method" = POST ] && set -- "$@" --data ''
  status=$(curl -sS -o "$work/$name.body" -D "$work/$name.head" -w '%{http_code}' \
    -X "$method" "$@" "$base$path") || status=none
}
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
expect() {  # STATUS BODY
  [ "$status" = "$1" ] || fail "$name: status $status, expected $1"
  [ "$(cat "$work/$name.body")" = "$2" ] || fail "$name: body $(cat "$work/$name.body"), expected $2"
}
set_cookie() {  # the Set-Cookie line of cookie $1 in response $name
  tr -d '\r' <"$work/$name.head" | grep -i "^set-cookie: $1=" | sed 's/^[^:]*: //'
}
cookie_value() { set_cookie "$1" | sed "s/^$1=//; s/;.*//"; }
has_header() { tr -d '\r' <"$work/$name.head" | grep -qi "^$1"; }

request login POST /login
[ "$status" = 200 ] || fail "login: status $status"
for c in access_token_cookie refresh_token_cookie; do
  set_cookie $c | grep -q '; HttpOnly' || fail "login: $c is not HttpOnly: $(set_cookie $c)"
done
for c in csrf_access_token csrf_refresh_token; do
  [ -n "$(cookie_value $c)" ] || fail "login: no $c cookie"
  set_cookie $c | grep -q 'HttpOnly' && fail "login: page script cannot read $c"
done
access=$(cookie_value access_token_cookie) refresh=$(cookie_value refresh_token_cookie)
csrf=$(cookie_value csrf_access_token) refresh_csrf=$(cookie_value csrf_refresh_token)
grep -q "\"access_token\":\"$access\"" "$work/login.body" || fail "login: body without the access token"

ok='{"logged_in_as":"example_user"}'
request bearer GET /protected -H "Authorization: Bearer $access"
expect 200 "$ok"
request by_cookie GET /protected -H "Cookie: access_token_cookie=$access"
expect 200 "$ok"

missing='{"msg":"Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie \"access_token_cookie\")"}'
request no_token GET /protected
expect 401 "$missing"
has_header 'WWW-Authenticate: Bearer realm="jwtguard"' || fail "no_token: no challenge"
request basic GET /protected -H "Authorization: Basic dXNlcjpwYXNz"
expect 401 '{"msg":"Missing JWT in headers or cookies (Missing '"'"'Bearer'"'"' type in '"'"'Authorization'"'"' header. Expected '"'"'Authorization: Bearer <JWT>'"'"'; Missing cookie \"access_token_cookie\")"}'
request two_headers GET /protected -H "Authorization: Bearer $access" -H "Authorization: Bearer $access"
expect 422 '{"msg":"Bad Authorization header: more than one. Expected '"'"'Authorization: Bearer <JWT>'"'"'"}'

# A refresh by cookie: the refresh token's CSRF value, new cookies.
request refresh_no_csrf POST /refresh -H "Cookie: refresh_token_cookie=$refresh"
expect 401 '{"msg":"Missing CSRF token"}'
request refresh POST /refresh -H "Cookie: refresh_token_cookie=$refresh" -H "X-CSRF-TOKEN: $refresh_csrf"
[ "$status" = 200 ] || fail "refresh: status $status $(cat "$work/refresh.body")"
access2=$(cookie_value access_token_cookie) csrf2=$(cookie_value csrf_access_token)
[ -n "$access2" ] && [ "$access2" != "$access" ] || fail "refresh: no new access cookie"
request reuse POST /refresh -H "Authorization: Bearer $refresh"
expect 401 '{"msg":"Token has been revoked"}'

# A new login for the logout: reuse of the retired refresh token above
# ended the first session.
request login2 POST /login
access=$(cookie_value access_token_cookie) csrf=$(cookie_value csrf_access_token)
cookies="Cookie: access_token_cookie=$access; csrf_access_token=$csrf"
request logout_no_csrf DELETE /logout -H "$cookies"
expect 401 '{"msg":"Missing CSRF token"}'
[ -z "$(set_cookie access_token_cookie)" ] || fail "logout_no_csrf: cookies cleared"
request logout_wrong_csrf DELETE /logout -H "$cookies" -H "X-CSRF-TOKEN: $csrf2"
expect 401 '{"msg":"CSRF double submit tokens do not match"}'
request still_in GET /protected -H "Authorization: Bearer $access"
expect 200 "$ok"
request logout DELETE /logout -H "$cookies" -H "X-CSRF-TOKEN: $csrf"
expect 200 '{"msg":"Access token revoked"}'
for c in access_token_cookie refresh_token_cookie csrf_access_token csrf_refresh_token; do
  set_cookie $c | grep -q "^$c=; .*Max-Age=0" || fail "logout: $c not cleared: $(set_cookie $c)"
done
request revoked GET /protected -H "Authorization: Bearer $access"
expect 401 '{"msg":"Token has been revoked"}'
has_header 'WWW-Authenticate: Bearer realm="jwtguard", error="invalid_token"' || fail "revoked: challenge"
# Logging out again with the revoked token: refused, and the cookies go all the same.
request logout_revoked DELETE /logout -H "$cookies" -H "X-CSRF-TOKEN: $csrf"
expect 401 '{"msg":"Token has been revoked"}'
set_cookie access_token_cookie | grep -q "Max-Age=0" || fail "logout_revoked: cookies kept"

kill "$pid" && wait "$pid" 2>/dev/null
trap - EXIT
[ "$failures" = 0 ] && echo "ok: httplib_app over loopback" || echo "FAILED: $failures check(s)"
[ "$failures" = 0 ]
