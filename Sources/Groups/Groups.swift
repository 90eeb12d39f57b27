// Groups: finite groups, character tables, real irreducible representations (THEORY.md §5–§7).
