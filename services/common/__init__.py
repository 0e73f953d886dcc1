"""A small library shared by Procedura's services: settings, PostgreSQL access,
migrations, the transactional outbox and the idempotent inbox. No domain logic."""
