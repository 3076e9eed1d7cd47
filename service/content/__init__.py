"""Cards from markdown: parsing, rendering to safe HTML with MathML, and syncing into the database."""
