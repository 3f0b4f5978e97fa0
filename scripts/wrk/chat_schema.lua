-- POST a chat completion that asks for JSON matching a schema (the research agent's shape, reduced).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"gpt-bench","messages":[{"role":"user","content":"Company: Acme Corp"}],"response_format":{"type":"json_schema","json_schema":{"name":"brief","strict":true,"schema":{"type":"object","required":["overview","industry","sources"],"properties":{"overview":{"type":"string"},"industry":{"type":"string"},"sources":{"type":"array","items":{"type":"string","format":"uri"}}}}}}}'
