"""A woman's whole journey, through the HTTP API only: rescued in a raid in Mumbai (IN-MH),
produced before a Magistrate, kept in intermediate and then safe custody while the police of her
home district in Gumla (IN-JH) verify her family, released to them by the Magistrate's order,
taken home by transfer, rehabilitated by an NGO there with her consent, and visited at home.
Each step is taken by the role that takes it in real life, and after each one ``Journey.check``
asserts the case's stage, owner and authority, who sees it and through what, which identity reads
are allowed (and logged), and the deadlines as each agency sees them (ITPA 1956 s.15-17)."""

from __future__ import annotations

from datetime import timedelta

from app.auth.permissions import AgencyType, Role
from app.transfers.clock import day_end
from tests.harness import Harness
from tests.journeys.support import Journey, Probe

MH, JH = "IN-MH", "IN-JH"
HOME_DISTRICT = "Gumla"
IDENTITY = {
    "names": ["Phulmani Oraon"],
    "date_of_birth": "2002-08-09",
    "family_names": ["Budhni Oraon", "Somra Oraon"],
    "home_village": "Sisai",
    "home_address": "Tola Kurumgarh, Sisai, Gumla",
    "phones": ["+919430022222"],
    "bank_details": "SBI Sisai 0042",
}
ESCORT_OFFICERS = [
    {"name": "WPC Lata Gaikwad", "rank": "Constable", "woman": True},
    {"name": "HC Anil More", "rank": "Head Constable", "woman": False},
]

# The identity reads probed after every step: (who, purpose, fields).
OWNER_SUP = ("ahtu_supervisor", "legal_proceeding", "names home_village")
OFFICER = ("ahtu_officer", "production", "names")
MAGISTRATE = ("mh_mag", "legal_proceeding", "bank_details names")
SHELTER = ("mh_shelter", "production", "names")
SHELTER_HOME = ("mh_shelter", "production", "home_village")
VERIFIER = ("jh_police", "home_verification", "family_names home_address names")
VERIFIER_BANK = ("jh_police", "home_verification", "bank_details")
ESCORT = ("mh_police", "escort", "names home_village")
JH_MAG = ("jh_mag", "legal_proceeding", "names home_village")
JH_SUP = ("jh_ngo", "family_tracing", "names home_village")
JH_CW = ("jh_ngo_cw", "family_tracing", "names")
WCD = ("jh_wcd", "family_tracing", "names")
STRANGER_MH = ("mh_stranger", "family_tracing", "names")
STRANGER_JH = ("jh_stranger", "family_tracing", "names")
EVERY_PROBE: tuple[Probe, ...] = (
    OWNER_SUP,
    OFFICER,
    MAGISTRATE,
    SHELTER,
    SHELTER_HOME,
    VERIFIER,
    VERIFIER_BANK,
)
EVERY_PROBE += (ESCORT, JH_MAG, JH_SUP, JH_CW, WCD, STRANGER_MH, STRANGER_JH)


def _cast(h: Harness) -> Journey:
    j = Journey(h)
    j.agency("ahtu", AgencyType.AHTU, MH, "AHTU Mumbai Crime Branch", "Mumbai City")
    j.agency("mh_mag", AgencyType.MAGISTRATE, MH, "Metropolitan Magistrate, Esplanade", "Mumbai City")
    j.agency(
        "mh_shelter", AgencyType.SHELTER, MH, "Ujjawala protective home, Chembur", "Mumbai Suburban"
    )
    j.agency("mh_police", AgencyType.POLICE, MH, "Nagpada police station", "Mumbai City")
    j.agency("mh_stranger", AgencyType.NGO, MH, "An unrelated Nagpur NGO", "Nagpur")
    j.agency("jh_police", AgencyType.POLICE, JH, "Sisai police station", HOME_DISTRICT)
    j.agency("jh_mag", AgencyType.MAGISTRATE, JH, "Chief Judicial Magistrate, Gumla", HOME_DISTRICT)
    j.agency("jh_ngo", AgencyType.NGO, JH, "Jharkhand Shakti Kendra (test)", HOME_DISTRICT)
    j.agency("jh_wcd", AgencyType.WCD, JH, "WCD Jharkhand")
    j.agency("jh_stranger", AgencyType.NGO, JH, "An unrelated Ranchi NGO", "Ranchi")
    j.person("ahtu_supervisor", "ahtu", Role.SUPERVISOR, reads_for_owner=True)
    j.person("ahtu_officer", "ahtu", Role.POLICE_OFFICER)
    j.person("mh_mag", "mh_mag", Role.MAGISTRATE)
    j.person("mh_shelter", "mh_shelter", Role.CASEWORKER)
    j.person("mh_police", "mh_police", Role.POLICE_OFFICER)
    j.person("mh_stranger", "mh_stranger", Role.SUPERVISOR)
    j.person("jh_police", "jh_police", Role.POLICE_OFFICER)
    j.person("jh_mag", "jh_mag", Role.MAGISTRATE)
    j.person("jh_ngo", "jh_ngo", Role.SUPERVISOR, reads_for_owner=True)
    j.person("jh_ngo_cw", "jh_ngo", Role.CASEWORKER)
    j.person("jh_wcd", "jh_wcd", Role.SUPERVISOR)
    j.person("jh_stranger", "jh_stranger", Role.SUPERVISOR)
    return j


def test_a_woman_rescued_in_mumbai_is_released_to_her_family_and_rehabilitated_in_gumla(
    h: Harness,
) -> None:
    start = h.clock.freeze()
    j = _cast(h)

    # --- rescue: the AHTU raids a brothel and records the rescue and the woman -----------------
    made = j.post(
        "ahtu_officer",
        "/v1/rescue-events",
        {
            "occurred_at": (start - timedelta(hours=3)).isoformat(),
            "state": MH,
            "district": "Mumbai City",
            "police_station": "Nagpada",
            "rescue_type": "raid",
            "legal_basis": "ITPA 1956 s.15",
            "fir_number": "231/2026",
            "lead_agency_id": j.id_of("ahtu"),
            "victims": [
                {
                    "track": "adult",
                    "sex": "Female",
                    "age_claimed": 24,
                    "languages": ["kru", "hi"],
                    "interpreter_needed": True,
                    "exploitation_types": ["sexual"],
                    "home_state": JH,
                    "home_district": HOME_DISTRICT,
                    "trafficking_context": {"recruitment_methods": ["JobOffer"]},
                    "identity": IDENTITY,
                }
            ],
        },
        status=201,
    )
    j.case_id = made["cases"][0]["id"]
    assert "Phulmani" not in str(made)
    j.check(
        "rescue",
        stage="rescued",
        owner="ahtu",
        sees={"ahtu_supervisor": "owner rescue_party", "ahtu_officer": "owner rescue_party"},
        identity={**{p: 404 for p in EVERY_PROBE}, OWNER_SUP: 200, OFFICER: 403},
        deadlines={},  # JJ s.31's 24 hours are a child's; an adult is produced "forthwith"
    )

    j.assign("ahtu_supervisor", "ahtu_officer")
    j.check("assign", identity={OFFICER: 200})

    # --- produced before the Magistrate the same morning ----------------------------------------
    j.advance(hours=2)
    j.case_post(
        "ahtu_officer",
        "production-report",
        {"occurred_at": j.at(hours=1), "authority_id": j.id_of("mh_mag"), "journey_hours": 0},
    )
    j.check(
        "production",
        stage="produced",
        authority="mh_mag",
        sees={"mh_mag": "competent_authority"},
        identity={MAGISTRATE: 200},
    )

    # --- the Magistrate keeps her in intermediate custody in a protective home --------------------
    j.order("mh_mag", "placement", placement_agency_id=j.id_of("mh_shelter"))
    j.check(
        "intermediate custody",
        stage="intermediate_custody",
        sees={"mh_shelter": "placement"},
        identity={SHELTER: 200, SHELTER_HOME: 403},
        deadlines={"ITPA17_INTERMEDIATE": ("open", "mh_mag")},
    )
    assert j.due("ITPA17_INTERMEDIATE") == [day_end(j.now() - timedelta(minutes=1), 10)]

    # --- six days on, safe custody pending the inquiry ---------------------------------------------
    j.advance(days=6)
    j.order("mh_mag", "safe_custody")
    j.check(
        "safe custody",
        stage="safe_custody",
        deadlines={
            "ITPA17_INTERMEDIATE": ("met", "mh_mag"),
            "ITPA17_SAFE_CUSTODY": ("open", "mh_mag"),
        },
    )
    assert j.due("ITPA17_SAFE_CUSTODY") == [day_end(j.now() - timedelta(minutes=1), 21)]

    # --- the Magistrate asks the police of her home for a home verification (ITPA s.17(2)) --------
    j.advance(days=1)
    referral = j.case_post(
        "mh_mag",
        "referrals",
        {
            "type": "home_verification",
            "receiving_agency_id": j.id_of("jh_police"),
            "reason": "MigrationOrChangeOfLocation",
            "notes": "Verify her parents at Sisai and whether they took part in sending her.",
        },
        status=201,
    )["id"]
    j.check("home verification requested")  # the police decide on the referral alone

    j.advance(days=2)
    j.referral("jh_police", referral, "accept", {})
    j.check(
        "home verification accepted",
        stage="home_verification",
        sees={"jh_police": "referral:home_verification"},
        identity={VERIFIER: 200, VERIFIER_BANK: 403},
    )

    j.advance(days=8)
    report = j.upload("jh_police", "home_verification_report", "general")
    j.referral(
        "jh_police",
        referral,
        "complete",
        {
            "result": "Parents traced at Sisai; no part in the trafficking; willing.",
            "document_id": report,
        },
    )
    j.check(
        "home verification completed",
        stage="home_verification",  # the Magistrate's order moves her on, not the report
        sees={"jh_police": None},
        identity={VERIFIER: 404, VERIFIER_BANK: 404},
    )

    # --- the Magistrate releases her to her family ---------------------------------------------
    j.advance(days=1)
    j.order("mh_mag", "final_order", outcome="release_to_family", document_id=report)
    j.check(
        "magistrate's order",
        stage="magistrate_order",
        deadlines={
            "ITPA17_SAFE_CUSTODY": ("met", "mh_mag"),
            "FOLLOW_UP_VISIT": (" ".join(["open"] * 8), "ahtu"),
        },
    )

    # --- the AHTU proposes the transfer home; the Magistrate consults Gumla ---------------------
    care_plan = j.upload("ahtu_supervisor", "care_plan", "general")
    transfer = j.case_post(
        "ahtu_officer",
        "transfers",
        {
            "receiving_agency_id": j.id_of("jh_ngo"),
            "receiving_authority_id": j.id_of("jh_mag"),
            "reasons": "Released to her family in Gumla; rehabilitation there under Ujjawala.",
        },
        status=201,
    )["id"]
    j.check("transfer proposed")
    j.transfer("mh_mag", transfer, "request-consultation", {"document_ids": [care_plan]})
    j.check(
        "consultation requested",
        sees={
            "jh_mag": "transfer_receiver",
            "jh_ngo": "transfer_receiver",
            "jh_ngo_cw": "transfer_receiver",
        },
        identity={JH_MAG: 403, JH_SUP: 403, JH_CW: 403},
        deadlines={"TRANSFER_CONSULTATION": ("open", "jh_mag")},
    )

    j.advance(days=2)
    j.transfer(
        "jh_mag",
        transfer,
        "answer-consultation",
        {"answer": "agree", "reason": "The NGO will receive her; her family is verified."},
    )
    j.check("consultation answered", deadlines={"TRANSFER_CONSULTATION": ("met", "jh_mag")})

    j.transfer("mh_mag", transfer, "order", {"reasons": "Home to Gumla under the release order."})
    j.check(
        "transfer ordered",
        stage="in_transfer",
        identity={JH_MAG: 200, JH_SUP: 200, JH_CW: 403},
    )

    j.advance(hours=3)
    j.transfer(
        "mh_mag",
        transfer,
        "assign-escort",
        {
            "escort_agency_id": j.id_of("mh_police"),
            "officers": ESCORT_OFFICERS,
            "travel_advance_paid": True,
        },
    )
    j.check(
        "escort assigned",
        sees={"mh_police": "transfer_escort"},
        identity={ESCORT: 200},
        deadlines={"JJ95_ESCORT": ("open", "mh_police")},
    )

    j.advance(days=1)
    j.transfer("mh_police", transfer, "depart", {"mode": "train"})
    j.check("departed")
    j.advance(hours=30)
    j.transfer("mh_police", transfer, "hand-over", {"receiving_officer": "Smt. Sushila Minz"})
    j.check(
        "handed over",
        deadlines={
            "JJ95_ESCORT": ("met", "mh_police"),
            "TRANSFER_ACCEPTANCE": ("open", "jh_ngo"),
        },
    )

    # --- the NGO's supervisor accepts her: the case is Jharkhand's; stage rehabilitation ---------
    j.advance(hours=3)
    j.transfer("jh_ngo", transfer, "accept", {})
    j.check(
        "accepted",
        stage="rehabilitation",
        owner="jh_ngo",
        authority="jh_mag",  # her orders now come from the Magistrate at home
        sees={
            "jh_ngo": "owner",
            "jh_ngo_cw": "owner",
            "jh_mag": "competent_authority",
            "ahtu_supervisor": "rescue_party transfer_sender",
            "ahtu_officer": "rescue_party transfer_sender",
            "mh_mag": "transfer_sender",
            "mh_police": None,
            "mh_shelter": None,
        },
        identity={
            OWNER_SUP: 403,
            OFFICER: 403,
            MAGISTRATE: 403,
            SHELTER: 404,
            SHELTER_HOME: 404,
            ESCORT: 404,
            JH_CW: 403,
        },
        # The visits the release order scheduled are owed by the home NGO now.
        deadlines={
            "TRANSFER_ACCEPTANCE": ("met", "jh_ngo"),
            "FOLLOW_UP_VISIT": (" ".join(["open"] * 8), "jh_ngo"),
        },
    )
    j.case_post(
        "ahtu_officer",
        "rehabilitation-services",
        {"type": "counselling", "scheme": "Ujjawala"},
        status=403,  # the sending side has lost write access
    )

    j.assign("jh_ngo", "jh_ngo_cw")
    j.check("assigned at home", identity={JH_CW: 200})

    # --- a rehabilitation service, and her consents ------------------------------------------------
    service = j.case_post(
        "jh_ngo_cw",
        "rehabilitation-services",
        {
            "occurred_at": j.at(minutes=30),
            "type": "vocational_training",
            "scheme": "Ujjawala",
            "provider_agency_id": j.id_of("jh_ngo"),
            "notes": "Tailoring course at the NGO's centre in Gumla.",
        },
        status=201,
    )
    assert (service["status"], service["recorded_by_agency_id"]) == ("ongoing", j.id_of("jh_ngo"))
    j.check("rehabilitation service")
    services = j.get("jh_mag", f"/v1/cases/{j.case_id}/rehabilitation-services").json()["items"]
    assert [(s["type"], s["notes"]) for s in services] == [
        ("vocational_training", "Tailoring course at the NGO's centre in Gumla.")
    ]
    # The sending side's field set holds no aftercare records.
    refused = j.get("ahtu_supervisor", f"/v1/cases/{j.case_id}/rehabilitation-services")
    assert refused.status_code == 403, refused.text

    how = "In Kurukh through the NGO's interpreter; form C-1 signed"
    stay = j.case_post(
        "jh_ngo_cw",
        "consents",
        {
            "occurred_at": j.at(minutes=20),
            "purpose": "shelter_stay",
            "given": True,
            "valid_until": (j.now() + timedelta(days=60)).isoformat(),
            "how_recorded": how,
        },
        status=201,
    )
    sharing = j.case_post(
        "jh_ngo_cw",
        "consents",
        {
            "occurred_at": j.at(minutes=10),
            "purpose": "data_sharing",
            "given": True,
            "agency_id": j.id_of("jh_wcd"),
            "how_recorded": how,
        },
        status=201,
    )
    assert (stay["in_force"], sharing["in_force"]) == (True, True)
    # Her consent records what she agreed to share; it opens nothing by itself: the WCD is
    # no relation of the case (DOMAIN.md section 5), and reads none of it.
    j.check("consents")
    consents = j.get("jh_mag", f"/v1/cases/{j.case_id}/consents").json()
    assert [(c["purpose"], c["given"], c["agency_id"]) for c in consents["items"]] == [
        ("shelter_stay", True, None),
        ("data_sharing", True, j.id_of("jh_wcd")),
    ]

    # --- five weeks on, the NGO's caseworker visits her at home ------------------------------------
    j.advance(days=35)
    visit = j.case_post(
        "jh_ngo_cw",
        "follow-up-visits",
        {
            "occurred_at": j.at(hours=3),
            "findings": "At home with her parents; attends the tailoring course; no threats.",
            "risk_level": "low",
        },
        status=201,
    )
    assert visit["number"] == 1
    j.check(
        "first follow-up visit",
        stage="follow_up",
        deadlines={"FOLLOW_UP_VISIT": (" ".join(["met"] + ["open"] * 7), "jh_ngo")},
    )
    kinds = [o["kind"] for o in j.get("jh_ngo", f"/v1/cases/{j.case_id}/orders").json()["items"]]
    assert kinds == ["placement", "safe_custody", "final_order", "transfer", "escort"]
