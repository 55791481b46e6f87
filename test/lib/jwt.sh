# HS256 JSON Web Tokens for tests (openssl only).
#   jwt_hs256 SECRET PAYLOAD_JSON [HEADER_JSON]   prints the token

_b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

jwt_hs256() {	# secret payload [header]
	local secret=$1 payload=$2 header=${3:-'{"alg":"HS256","typ":"JWT"}'} h p s
	h=$(printf '%s' "$header" | _b64url)
	p=$(printf '%s' "$payload" | _b64url)
	s=$(printf '%s' "$h.$p" | openssl dgst -sha256 -hmac "$secret" -binary | _b64url)
	printf '%s.%s.%s' "$h" "$p" "$s"
}
