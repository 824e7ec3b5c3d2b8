# Request policy (the authorizer): who may call which Acme claims route.
#
# Input: DESIGN.md §3 (method, path segments, query, headers, sourceIp,
# token {payload, scopes}, api). Result: {"allow", "reason", "context"}.
# Routes, API products and their scopes live in data.json (data.acme.api),
# so operators change data, not code.
package acme.authz

api := data.acme.api

# ---------------------------------------------------------------------------
# Routing: the one place the path is interpreted. The response policy reuses
# `route`, so both phases agree on the path (demo gap 2).

# A pattern segment "{name}" matches any segment and binds `name`.
placeholder(segment) if startswith(segment, "{")

segment_matches(pattern_segment, _) if placeholder(pattern_segment)

segment_matches(pattern_segment, value) if {
	not placeholder(pattern_segment)
	pattern_segment == value
}

matched_routes contains {"action": r.action, "product": r.product, "params": params, "sensitive": object.get(r, "sensitive", false)} if {
	some r in api.routes
	r.method == input.method
	count(r.pattern) == count(input.path)
	every i, segment in r.pattern {
		segment_matches(segment, input.path[i])
	}
	params := {trim(segment, "{}"): input.path[i] |
		some i, segment in r.pattern
		placeholder(segment)
	}
}

# Defined only when exactly one route matches.
route := r if {
	count(matched_routes) == 1
	some r in matched_routes
}

target := route.params.id

# ---------------------------------------------------------------------------
# The caller, from the verified token.

claims := input.token.payload

# A member is a user-bound token (Okta sets `uid` only when a user is bound)
# carrying the enrollee claims. A client-credentials token that happens to
# carry an `enrolleeId` (a misconfigured custom claim) is NOT a member.
caller_id := claims.enrolleeId if {
	is_string(claims.enrolleeId)
	is_string(claims.uid)
}

# A service client: the client-credentials shape (ACME.md: no `uid`, no
# enrollee claims; Okta sets `sub` to the client id `cid`).
is_service_client if {
	not claims.uid
	not claims.enrolleeId
	not claims.enrolleeType
	is_string(claims.cid)
	claims.sub == claims.cid
}

is_primary if {
	caller_id
	claims.enrolleeType == "primary"
}

is_secondary if {
	caller_id
	claims.enrolleeType == "secondary"
}

# ACME.md rule 4 is about service clients: a member token that carries
# claims:audit (an over-broad Okta grant) gets no audit powers.
is_auditor if {
	is_service_client
	api.audit_scope in input.token.scopes
}

dependants contains id if {
	is_primary
	some id in claims.dependants
	is_string(id)
}

access := api.method_access[input.method]

required_scope := api.products[route.product].scopes[access]

has_scope if required_scope in input.token.scopes

# ---------------------------------------------------------------------------
# Grants (ACME.md request rules 2-4) and refusal reasons.

# 2. A member may read their own record.
grants contains "own_record" if {
	route.action == "read_record"
	target == caller_id
}

# 2. A primary may read any id: family membership is only known to the
#    backend, so the response policy finishes the check.
grants contains "primary_family_read" if {
	route.action == "read_record"
	is_primary
	target != caller_id
}

# 3. A primary may write for themselves and for dependants their token lists.
grants contains "own_write" if {
	access == "write"
	is_primary
	target == caller_id
}

grants contains "dependant_write" if {
	access == "write"
	is_primary
	target in dependants
}

# 4. A service client with claims:audit may read any record.
grants contains "audit_read" if {
	route.action == "read_record"
	is_auditor
}

refusals contains "not_own_record" if {
	route.action == "read_record"
	is_secondary
	target != caller_id
}

refusals contains "read_only_member" if {
	access == "write"
	is_secondary
}

refusals contains "not_own_family" if {
	access == "write"
	is_primary
	target != caller_id
	not target in dependants
}

refusals contains "not_a_member" if not caller_id

# ---------------------------------------------------------------------------
# Token introspection (README "Token introspection"). A request is sensitive
# when its product lists its access kind ("read"/"write") in
# `introspection.access`, or its route says `"sensitive": true`. With
# INTROSPECTION_MODE=policy the authorizer asks `introspection` before the
# decision; `on_unavailable: "local"` lets it go on with local validation
# (logged as a downgrade) when Okta cannot answer, and the decision below
# still refuses a sensitive request that was not introspected.

product_introspection := object.get(api.products[route.product], "introspection", {})

sensitive if access in object.get(product_introspection, "access", [])

sensitive if route.sensitive == true

introspected if input.token.validation == "introspected"

default introspection := {"required": false}

introspection := {"required": true, "on_unavailable": object.get(product_introspection, "on_unavailable", "fail_closed")} if sensitive

# ---------------------------------------------------------------------------
# Partner client certificates (mutual TLS; README "Client certificates and
# mTLS"). data.acme.api.client_certificates binds an Okta client id (`cid`)
# to the certificate its partner presents: {"<cid>": {"subject_cn": "...",
# "sha256": ["<hex fingerprint>", ...]}}, matched against input.clientCert
# (subjectCN / fingerprintSha256, which the authorizer derives from the PEM).
# A token of a bound client needs that certificate, and a bound partner's
# certificate presented with another client's token is refused.

cert_bindings := object.get(api, "client_certificates", {})

cert_matches(binding) if input.clientCert.subjectCN == binding.subject_cn

cert_matches(binding) if input.clientCert.fingerprintSha256 in object.get(binding, "sha256", [])

# How the caller authenticated: each failure refuses before any grant.
precondition_failures contains "introspection_required" if {
	sensitive
	not introspected
}

precondition_failures contains "client_certificate_required" if {
	binding := cert_bindings[claims.cid]
	not cert_matches(binding)
}

precondition_failures contains "client_certificate_mismatch" if {
	some cid, binding in cert_bindings
	cid != claims.cid
	cert_matches(binding)
}

# ---------------------------------------------------------------------------
# The decision. The cases are mutually exclusive, so exactly one applies.

default decision := {"allow": false, "reason": "not_permitted"}

decision := {"allow": false, "reason": "unknown_route"} if not route

decision := {"allow": false, "reason": "insufficient_scope", "context": {"requiredScope": required_scope}} if {
	route
	not has_scope
}

decision := {"allow": false, "reason": min(precondition_failures)} if {
	has_scope
	count(precondition_failures) > 0
}

decision := {"allow": true, "reason": min(grants), "context": {"action": route.action}} if {
	has_scope
	count(precondition_failures) == 0
	count(grants) > 0
}

decision := {"allow": false, "reason": min(refusals)} if {
	has_scope
	count(precondition_failures) == 0
	count(grants) == 0
	count(refusals) > 0
}
