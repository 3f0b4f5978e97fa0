-- POST an Apollo people match.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "sandbox"
wrk.body = '{"first_name":"Jo","last_name":"Smith","domain":"acme.example"}'
