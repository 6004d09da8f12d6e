"""Function words and generic abstract vocabulary: never keywords, never span starts."""

STOPWORDS = frozenset(
    """a about above after again against all also an and any are as at be been before being
    below between both but by can could did do does each few for from further had has have
    having here how however in into is it its itself more most no nor not of off on once only
    or other our out over own same she should so some such than that the their them then
    there these they this those through to too under until up very was we were what when
    where which while who whom why will with would new known two three four five six seven
    eight nine ten one first compound compounds isolated using showed well along together
    whereas respectively including based study data values value against novel""".split()
)
