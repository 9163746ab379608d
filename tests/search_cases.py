"""What the search must find, shared by the library's, the API's and the browser's tests.

The 77 community areas' names are written here by hand (the City's numbering)."""

from __future__ import annotations

_NAMES = """Rogers Park|West Ridge|Uptown|Lincoln Square|North Center|Lake View|Lincoln Park|
        Near North Side|Edison Park|Norwood Park|Jefferson Park|Forest Glen|North Park|
        Albany Park|Portage Park|Irving Park|Dunning|Montclare|Belmont Cragin|Hermosa|
        Avondale|Logan Square|Humboldt Park|West Town|Austin|West Garfield Park|
        East Garfield Park|Near West Side|North Lawndale|South Lawndale|Lower West Side|Loop|
        Near South Side|Armour Square|Douglas|Oakland|Fuller Park|Grand Boulevard|Kenwood|
        Washington Park|Hyde Park|Woodlawn|South Shore|Chatham|Avalon Park|South Chicago|
        Burnside|Calumet Heights|Roseland|Pullman|South Deering|East Side|West Pullman|
        Riverdale|Hegewisch|Garfield Ridge|Archer Heights|Brighton Park|McKinley Park|
        Bridgeport|New City|West Elsdon|Gage Park|Clearing|West Lawn|Chicago Lawn|
        West Englewood|Englewood|Greater Grand Crossing|Ashburn|Auburn Gresham|Beverly|
        Washington Heights|Mount Greenwood|Morgan Park|O'Hare|Edgewater"""
AREAS = {number: name.strip() for number, name in enumerate(_NAMES.split("|"), start=1)}

#: (typed, the first area found); an address needs the data's blocks (the server)
ADDRESS = ("1600 W Chicago Ave", 24)
NAMES = [
    ("Wicker Park", 24),  # a neighbourhood → its community area
    ("englewod", 68),  # a typo (one letter missing)
    ("Englewood", 68),
    ("68", 68),
]
NONSENSE = "qxzvkjw"
