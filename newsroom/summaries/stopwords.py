"""Function words the offline summarizer ignores when it ranks sentences and looks for names."""

ENGLISH = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
let me more most my myself no nor not now of off on once only or other our ours ourselves out
over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while
who whom why will with you your yours yourself yourselves really actually like know think going
get got gonna want one two lot use uses used using make makes made new good great many much
every still another monday tuesday wednesday thursday friday saturday sunday january february
march april june july august september october november december english dutch thing things way
well yeah okay right today week episode podcast welcome thanks thank said say
"""

DUTCH = """
de het een en van ik je jij wij hij zij ze dat die dit deze zijn waren wordt worden om op aan te
met voor niet maar ook als dan nog wel al er naar bij uit tot door heb hebben heeft kan kunnen
moet moeten gaat gaan zo wat wie hoe waar omdat dus nou eh ja nee heel echt even meer veel hun
haar ons onze mijn jouw hier daar nu toen waarom iets niets alles
"""

STOPWORDS = frozenset(ENGLISH.split() + DUTCH.split())
