# Known answers for groups given by permutation generators (docs/groups-from-data.md §5).
# Run from the repository root:  gap -q scripts/gap/character_tables.g < /dev/null
# Writes Tests/GroupsTests/Fixtures/gap/<name>.json: the generators (0-based image lists),
# GAP's conjugacy classes (representative as a 0-based image list, size, element order) and
# Irr(CharacterTable(G)) with exact values as GAP prints them, and Frobenius-Schur indicators.
# GAP 4.12 (Debian package `gap`).

AsPerm := function(G)
  local iso;
  if IsPermGroup(G) then return G; fi;
  iso := IsomorphismPermGroup(G);
  return Image(SmallerDegreePermutationRepresentation(Image(iso)));
end;

ImageList := function(p, n)
  return List([1..n], i -> i^p - 1);
end;

JsonList := function(l)
  return Concatenation("[", JoinStringsWithSeparator(List(l, String), ","), "]");
end;

WriteGroup := function(name, G0)
  local G, n, gens, t, cls, irr, out, i, chi, ind, stream, s;
  G := AsPerm(G0);
  n := LargestMovedPoint(G);
  gens := GeneratorsOfGroup(G);
  t := CharacterTable(G);
  cls := ConjugacyClasses(t);
  irr := Irr(t);
  ind := Indicator(t, 2);
  s := Concatenation("{\"name\":\"", name, "\",\"order\":", String(Size(G)), ",\"degree\":", String(n),
    ",\"generators\":[", JoinStringsWithSeparator(List(gens, g -> JsonList(ImageList(g, n))), ","), "],");
  s := Concatenation(s, "\"classes\":[", JoinStringsWithSeparator(List(cls, c ->
      Concatenation("{\"representative\":", JsonList(ImageList(Representative(c), n)),
        ",\"size\":", String(Size(c)), ",\"order\":", String(Order(Representative(c))), "}")), ","), "],");
  s := Concatenation(s, "\"irreps\":[", JoinStringsWithSeparator(List([1..Length(irr)], i ->
      Concatenation("{\"indicator\":", String(ind[i]), ",\"values\":[",
        JoinStringsWithSeparator(List(ValuesOfClassFunction(irr[i]), v -> Concatenation("\"", ReplacedString(String(v), " ", ""), "\"")), ","),
        "]}")), ","), "]}\n");
  stream := OutputTextFile(Concatenation("Tests/GroupsTests/Fixtures/gap/", name, ".json"), false);
  SetPrintFormattingStatus(stream, false);
  WriteAll(stream, s);
  CloseStream(stream);
end;

WriteGroup("Q8", QuaternionGroup(8));
WriteGroup("SL2_3", SL(2, 3));
WriteGroup("GL2_3", GL(2, 3));
WriteGroup("C3sdC4", SmallGroup(12, 1));
WriteGroup("C5sdC4", SmallGroup(20, 3));
WriteGroup("A4xC3", DirectProduct(AlternatingGroup(4), CyclicGroup(IsPermGroup, 3)));
WriteGroup("S3wrC2", WreathProduct(SymmetricGroup(3), CyclicGroup(IsPermGroup, 2)));
WriteGroup("PSL2_7", PSL(2, 7));
WriteGroup("PSL2_11", PSL(2, 11));
WriteGroup("M11", MathieuGroup(11));
WriteGroup("S5", SymmetricGroup(5));
WriteGroup("C7sdC3", SmallGroup(21, 1));
WriteGroup("C9", CyclicGroup(IsPermGroup, 9));
WriteGroup("C3xC4xC5", DirectProduct(CyclicGroup(IsPermGroup, 3), CyclicGroup(IsPermGroup, 4), CyclicGroup(IsPermGroup, 5)));
WriteGroup("C8xC9", DirectProduct(CyclicGroup(IsPermGroup, 8), CyclicGroup(IsPermGroup, 9)));
QUIT;
