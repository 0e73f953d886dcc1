-- An empty (0-byte) file is kept as a version like any other file a department has;
-- its extraction ends `failed` with the reason (there is no text to read).
ALTER TABLE versions DROP CONSTRAINT IF EXISTS versions_size_check;
ALTER TABLE versions ADD CONSTRAINT versions_size_check CHECK (size >= 0);
