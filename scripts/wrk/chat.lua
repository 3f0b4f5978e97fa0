-- POST an OpenAI-style chat completion (plain text reply) to the sandbox.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"gpt-bench","messages":[{"role":"user","content":"Company: Acme Corp. Say hello."}],"max_completion_tokens":64}'
