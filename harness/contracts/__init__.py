"""The contracts rehearse holds mocks and SUTs to, as tools: export the mocks' OpenAPI, check against it."""
