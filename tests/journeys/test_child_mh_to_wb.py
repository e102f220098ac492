"""A girl's whole journey, through the HTTP API only: rescued in a raid in Mumbai (IN-MH), produced
before the Mumbai CWC, placed in a children's home, her age and circumstances inquired into,
transferred home to South 24 Parganas (IN-WB), her family verified there, restored to them by the
home CWC and visited at home. Each step is taken by the role that takes it in real life, and after
each one ``Journey.check`` asserts the case's stage, owner and authority, who sees it and through
what, which identity reads are allowed (and logged), and the deadlines as each agency sees them."""

from __future__ import annotations

from datetime import timedelta

from app.auth.permissions import AgencyType, Role
from app.transfers.clock import day_end
from tests.harness import Harness
from tests.journeys.support import Journey, Probe

MH, WB = "IN-MH", "IN-WB"
HOME_DISTRICT = "South 24 Parganas"
IDENTITY = {
    "names": ["Rupa Mondal"],
    "aliases": ["Rupu"],
    "date_of_birth": "2011-02-14",
    "family_names": ["Gita Mondal", "Haru Mondal"],
    "home_village": "Basanti",
    "home_address": "Ward 7, Basanti, South 24 Parganas",
    "phones": ["+919830011111"],
}
GIRL_ESCORT = [{"name": "WPSI Sunanda Pawar", "rank": "Sub-Inspector", "woman": True}]

# The identity reads probed after every step: (who, purpose, fields).
OWNER_SUP = ("ahtu_supervisor", "family_tracing", "names home_village")
OFFICER = ("ahtu_officer", "production", "names")
RESCUER = ("mh_ngo", "production", "names")
MH_CWC = ("mh_cwc", "production", "names date_of_birth")
SHELTER = ("mh_shelter", "production", "names")
SHELTER_HOME = ("mh_shelter", "production", "home_village")
ESCORT = ("mh_sjpu", "escort", "names home_village")
ESCORT_TRACING = ("mh_sjpu", "family_tracing", "names")
WB_CWC = ("wb_cwc", "family_tracing", "names home_village")
WB_SUP = ("wb_dcpu", "family_tracing", "names home_village")
WB_CW = ("wb_dcpu_cw", "family_tracing", "names")
VERIFIER = ("wb_ngo", "home_verification", "family_names home_village names")
VERIFIER_DOB = ("wb_ngo", "home_verification", "date_of_birth")
STRANGER_MH = ("mh_stranger", "family_tracing", "names")
STRANGER_WB = ("wb_stranger", "family_tracing", "names")
EVERY_PROBE: tuple[Probe, ...] = (
    OWNER_SUP,
    OFFICER,
    RESCUER,
    MH_CWC,
    SHELTER,
    SHELTER_HOME,
    ESCORT,
    ESCORT_TRACING,
)
EVERY_PROBE += (WB_CWC, WB_SUP, WB_CW, VERIFIER, VERIFIER_DOB, STRANGER_MH, STRANGER_WB)


def _cast(h: Harness) -> Journey:
    j = Journey(h)
    j.agency("ahtu", AgencyType.AHTU, MH, "AHTU Mumbai Crime Branch", "Mumbai City")
    j.agency("mh_ngo", AgencyType.NGO, MH, "Rescue Foundation (test)", "Mumbai City")
    j.agency("mh_cwc", AgencyType.CWC, MH, "CWC Mumbai City", "Mumbai City")
    j.agency("mh_shelter", AgencyType.SHELTER, MH, "Navjeevan Children's Home", "Mumbai City")
    j.agency("mh_dcpu", AgencyType.DCPU, MH, "DCPU Mumbai City", "Mumbai City")
    j.agency("mh_sjpu", AgencyType.SJPU, MH, "SJPU Mumbai", "Mumbai City")
    j.agency("mh_stranger", AgencyType.NGO, MH, "An unrelated Pune NGO", "Pune")
    j.agency("wb_dcpu", AgencyType.DCPU, WB, "DCPU South 24 Parganas", HOME_DISTRICT)
    j.agency("wb_cwc", AgencyType.CWC, WB, "CWC South 24 Parganas", HOME_DISTRICT)
    j.agency("wb_ngo", AgencyType.NGO, WB, "Sundarban Shishu Sangha (test)", HOME_DISTRICT)
    j.agency("wb_stranger", AgencyType.NGO, WB, "An unrelated Howrah NGO", "Howrah")
    j.person("ahtu_supervisor", "ahtu", Role.SUPERVISOR, reads_for_owner=True)
    j.person("ahtu_officer", "ahtu", Role.POLICE_OFFICER)
    j.person("mh_ngo", "mh_ngo", Role.CASEWORKER)
    j.person("mh_cwc", "mh_cwc", Role.CWC_MEMBER)
    j.person("mh_shelter", "mh_shelter", Role.CASEWORKER)
    j.person("mh_dcpu", "mh_dcpu", Role.CASEWORKER)
    j.person("mh_sjpu", "mh_sjpu", Role.POLICE_OFFICER)
    j.person("mh_stranger", "mh_stranger", Role.SUPERVISOR)
    j.person("wb_dcpu", "wb_dcpu", Role.SUPERVISOR, reads_for_owner=True)
    j.person("wb_dcpu_cw", "wb_dcpu", Role.CASEWORKER)
    j.person("wb_cwc", "wb_cwc", Role.CWC_MEMBER)
    j.person("wb_ngo", "wb_ngo", Role.CASEWORKER)
    j.person("wb_stranger", "wb_stranger", Role.SUPERVISOR)
    return j


def test_a_girl_rescued_in_mumbai_is_restored_to_her_family_in_south_24_parganas(
    h: Harness,
) -> None:
    start = h.clock.freeze()
    j = _cast(h)

    # --- rescue: the AHTU raids a brothel with an NGO and records the rescue and the girl ----
    rescued_at = start - timedelta(hours=3)
    made = j.post(
        "ahtu_officer",
        "/v1/rescue-events",
        {
            "occurred_at": rescued_at.isoformat(),
            "state": MH,
            "district": "Mumbai City",
            "police_station": "Nagpada",
            "rescue_type": "raid",
            "legal_basis": "ITPA 1956 s.15; JJ Act 2015 s.31",
            "fir_number": "118/2026",
            "lead_agency_id": j.id_of("ahtu"),
            "participating_agency_ids": [j.id_of("mh_ngo")],
            "victims": [
                {
                    "track": "child",
                    "sex": "Female",
                    "age_claimed": 15,
                    "languages": ["bn"],
                    "exploitation_types": ["sexual"],
                    "home_state": WB,
                    "home_district": HOME_DISTRICT,
                    "trafficking_context": {"recruitment_methods": ["JobOffer"]},
                    "identity": IDENTITY,
                }
            ],
        },
        status=201,
    )
    j.case_id = made["cases"][0]["id"]
    assert made["cases"][0]["code"].startswith("MH-")
    assert "Rupa" not in str(made)  # a rescue's answer carries no identity
    # Not yet related to her case: as if it did not exist.
    unrelated = {p: 404 for p in EVERY_PROBE if p not in (OWNER_SUP, OFFICER, RESCUER)}
    j.check(
        "rescue",
        stage="rescued",
        owner="ahtu",
        sees={
            "ahtu_supervisor": "owner rescue_party",
            "ahtu_officer": "owner rescue_party",
            "mh_ngo": "rescue_party",
        },
        # Within the owner, identity goes to its supervisors and the assigned staff only.
        identity={OWNER_SUP: 200, OFFICER: 403, RESCUER: 403, **unrelated},
        deadlines={"JJ31_PRODUCTION": ("open", "ahtu")},
    )
    assert j.due("JJ31_PRODUCTION") == [rescued_at + timedelta(hours=24)]

    # --- the AHTU's supervisor assigns the investigating officer -----------------------------
    j.assign("ahtu_supervisor", "ahtu_officer")
    j.check("assign", identity={OFFICER: 200})

    # --- production before the Mumbai CWC, 19 hours after the rescue, 2 of them travelling ---
    j.advance(hours=17)
    produced = j.case_post(
        "ahtu_officer",
        "production-report",
        {"occurred_at": j.at(hours=1), "authority_id": j.id_of("mh_cwc"), "journey_hours": 2},
    )
    assert (produced["journey_hours"], produced["producing_agency_id"]) == (2, j.id_of("ahtu"))
    j.check(
        "production",
        stage="produced",
        authority="mh_cwc",
        sees={"mh_cwc": "competent_authority"},
        identity={MH_CWC: 200},
        deadlines={
            "JJ31_PRODUCTION": ("met", "ahtu"),
            "JJ36_FINAL_ORDER": ("open", "mh_cwc"),
        },
    )
    # The journey is excluded from the 24 hours; the inquiry's four months run from production.
    assert j.due("JJ31_PRODUCTION") == [rescued_at + timedelta(hours=26)]
    four_months = j.due("JJ36_FINAL_ORDER")[0] - j.now()
    assert timedelta(days=119) < four_months < timedelta(days=124)

    # --- the CWC places her in a children's home --------------------------------------------
    placed = j.order("mh_cwc", "placement", placement_agency_id=j.id_of("mh_shelter"))
    assert placed["issued_by_agency_id"] == j.id_of("mh_cwc")
    j.check(
        "placement",
        stage="interim_care",
        sees={"mh_shelter": "placement"},
        # The home knows her name to produce her; not her family's village.
        identity={SHELTER: 200, SHELTER_HOME: 403},
        deadlines={"JJ101_APPEAL": ("open", None)},
    )

    # --- two days on: the CWC directs the DCPU to make the social investigation --------------
    j.advance(days=2)
    j.order("mh_cwc", "sir_direction", investigator_agency_id=j.id_of("mh_dcpu"))
    j.check(
        "SIR direction",
        stage="under_inquiry",
        deadlines={
            "JJ36_SIR": ("open", "mh_dcpu"),
            "JJ101_APPEAL": ("open open", None),
        },
    )
    assert j.due("JJ36_SIR") == [day_end(j.now() - timedelta(minutes=1), 15)]

    # --- and, later that day, determines her age from her school certificate -----------------
    j.advance(hours=2)
    j.order("mh_cwc", "age_determination", age_determined=15, age_basis="document")
    j.check(
        "age determination",
        deadlines={
            "JJ94_AGE": ("open", "ahtu"),
            "JJ101_APPEAL": ("open open open", None),
        },
    )
    age_document = j.upload("ahtu_supervisor", "age_determination", "identity")
    j.check("age document filed", deadlines={"JJ94_AGE": ("met", "ahtu")})

    # --- nine days on the SIR reaches the committee, which files it --------------------------
    j.advance(days=9)
    sir = j.upload("mh_cwc", "sir", "medical_counselling")
    j.check("SIR filed", deadlines={"JJ36_SIR": ("met", "mh_dcpu")})

    # --- the AHTU proposes her transfer home: a draft is the sending side's own ---------------
    care_plan = j.upload("ahtu_supervisor", "care_plan", "general")
    proposed = j.case_post(
        "ahtu_officer",
        "transfers",
        {
            "receiving_agency_id": j.id_of("wb_dcpu"),
            "receiving_authority_id": j.id_of("wb_cwc"),
            "reasons": "Her family in Basanti is traced; the SIR recommends restoration.",
        },
        status=201,
    )
    transfer = proposed["id"]
    assert proposed["status"] == "draft"
    j.check("transfer proposed")

    # --- the Mumbai CWC asks the home CWC, sending the case file -----------------------------
    j.transfer(
        "mh_cwc", transfer, "request-consultation", {"document_ids": [care_plan, sir, age_document]}
    )
    j.check(
        "consultation requested",
        # The receiving side reads the case to answer; not who she is, yet.
        sees={
            "wb_cwc": "transfer_receiver",
            "wb_dcpu": "transfer_receiver",
            "wb_dcpu_cw": "transfer_receiver",
        },
        identity={WB_CWC: 403, WB_SUP: 403, WB_CW: 403},
        deadlines={"TRANSFER_CONSULTATION": ("open", "wb_cwc")},
    )
    listed = j.get("wb_cwc", f"/v1/cases/{j.case_id}/documents").json()["items"]
    assert {d["id"] for d in listed} == {care_plan, sir}  # identity documents from the order on

    # --- three days on, the home CWC agrees ---------------------------------------------------
    j.advance(days=3)
    j.transfer(
        "wb_cwc",
        transfer,
        "answer-consultation",
        {"answer": "agree", "reason": "The DCPU has met the mother; the family will receive her."},
    )
    j.check("consultation answered", deadlines={"TRANSFER_CONSULTATION": ("met", "wb_cwc")})

    # --- the Mumbai CWC orders the transfer ---------------------------------------------------
    j.transfer("mh_cwc", transfer, "order", {"reasons": "Restoration in her home district."})
    j.check(
        "transfer ordered",
        stage="in_transfer",
        # From the order the receiving side reads identity: its supervisors and its CWC, not
        # its unassigned caseworkers.
        identity={WB_CWC: 200, WB_SUP: 200, WB_CW: 403},
        # A transfer order is a CWC order: the appeal window opens (JJ s.101).
        deadlines={"JJ101_APPEAL": ("open open open open", None)},
    )
    listed = j.get("wb_cwc", f"/v1/cases/{j.case_id}/documents").json()["items"]
    assert {d["id"] for d in listed} == {care_plan, sir, age_document}

    # --- and, that afternoon, the escort: the SJPU, a woman officer, the travel advance paid ---
    j.advance(hours=3)
    j.transfer(
        "mh_cwc",
        transfer,
        "assign-escort",
        {"escort_agency_id": j.id_of("mh_sjpu"), "officers": GIRL_ESCORT, "travel_advance_paid": True},
    )
    j.check(
        "escort assigned",
        sees={"mh_sjpu": "transfer_escort"},
        identity={ESCORT: 200, ESCORT_TRACING: 403},
        deadlines={"JJ95_ESCORT": ("open", "mh_sjpu")},
    )

    # --- they leave by train the next day and hand her over in Baruipur a day and a half later -
    j.advance(days=1)
    j.transfer("mh_sjpu", transfer, "depart", {"mode": "train"})
    j.check("departed")
    j.advance(hours=34)
    j.transfer(
        "mh_sjpu", transfer, "hand-over", {"receiving_officer": "Smt. Rina Das, DCPU protection officer"}
    )
    j.check(
        "handed over",
        deadlines={
            "JJ95_ESCORT": ("met", "mh_sjpu"),
            "TRANSFER_ACCEPTANCE": ("open", "wb_dcpu"),
        },
    )

    # --- the home DCPU's supervisor accepts her: the case is West Bengal's now ----------------
    j.advance(hours=2)
    accepted = j.transfer("wb_dcpu", transfer, "accept", {})
    assert accepted["status"] == "accepted"
    j.check(
        "accepted",
        stage="received_home",
        owner="wb_dcpu",
        authority="wb_cwc",
        sees={
            "wb_dcpu": "owner",
            "wb_dcpu_cw": "owner",
            "wb_cwc": "competent_authority",
            # The sending side keeps reading what it recorded; no identity.
            "ahtu_supervisor": "rescue_party transfer_sender",
            "ahtu_officer": "rescue_party transfer_sender",
            "mh_cwc": "transfer_sender",
            # The escort's part ended with the transfer; she has left the Mumbai home.
            "mh_sjpu": None,
            "mh_shelter": None,
        },
        identity={
            OWNER_SUP: 403,
            OFFICER: 403,
            MH_CWC: 403,
            SHELTER: 404,
            SHELTER_HOME: 404,
            ESCORT: 404,
            ESCORT_TRACING: 404,
            WB_CW: 403,  # the new owner's supervisor assigns her staff anew
        },
        # Open deadlines move to the new holder: the inquiry's four months are the home CWC's.
        deadlines={
            "TRANSFER_ACCEPTANCE": ("met", "wb_dcpu"),
            "JJ36_FINAL_ORDER": ("open", "wb_cwc"),
        },
    )
    own = {d["id"] for d in j.get("ahtu_supervisor", f"/v1/cases/{j.case_id}/documents").json()["items"]}
    assert own == {care_plan}  # what it uploaded, but not the identity-class certificate
    own = {d["id"] for d in j.get("mh_cwc", f"/v1/cases/{j.case_id}/documents").json()["items"]}
    assert own == {sir}
    version = j.get("wb_dcpu", f"/v1/cases/{j.case_id}").json()["version"]
    patch = h.client.patch(
        f"/v1/cases/{j.case_id}",
        json={"home_district": "Howrah"},
        headers={
            **j.headers["ahtu_supervisor"],
            "If-Match": f'"{version}"',
            "Content-Type": "application/merge-patch+json",
        },
    )
    assert patch.status_code == 403, patch.text
    j.order("mh_cwc", "sir_direction", status=403)  # no longer seized of her case
    j.check("the sending side cannot write")

    # --- the DCPU's supervisor assigns a caseworker at home -----------------------------------
    j.assign("wb_dcpu", "wb_dcpu_cw")
    j.check("assigned at home", identity={WB_CW: 200})

    # --- the home CWC directs a home verification by a local NGO -------------------------------
    referral = j.case_post(
        "wb_cwc",
        "referrals",
        {
            "type": "home_verification",
            "receiving_agency_id": j.id_of("wb_ngo"),
            "reason": "AdditionalServicesRequired",
            "notes": "Verify the home and the family's willingness before restoration.",
        },
        status=201,
    )["id"]
    seen = j.get("wb_ngo", f"/v1/referrals/{referral}").json()
    assert (seen["case_code"], seen["allowed_actions"]) == (
        made["cases"][0]["code"],
        ["accept", "decline"],
    )
    j.check("home verification requested")  # requested: the NGO decides on the referral alone

    j.referral("wb_ngo", referral, "accept", {})
    j.check(
        "home verification accepted",
        sees={"wb_ngo": "referral:home_verification"},
        identity={VERIFIER: 200, VERIFIER_DOB: 403},
    )

    j.advance(days=5)
    report = j.upload("wb_ngo", "home_verification_report", "general")
    done = j.referral(
        "wb_ngo",
        referral,
        "complete",
        {
            "result": "Mother and uncle at home, willing and able; no trafficker contact.",
            "document_id": report,
        },
    )
    assert done["result_document_id"] == report
    j.check(
        "home verification completed",
        stage="received_home",
        sees={"wb_ngo": None},
        identity={VERIFIER: 404, VERIFIER_DOB: 404},
    )
    filed = j.get("wb_dcpu", f"/v1/documents/{report}").json()
    assert (filed["kind"], filed["uploaded_by_agency_id"]) == (
        "home_verification_report",
        j.id_of("wb_ngo"),
    )

    # --- the home CWC restores her to her family -----------------------------------------------
    j.order("wb_cwc", "final_order", outcome="restoration", document_id=report)
    j.check(
        "final order",
        stage="final_order",
        deadlines={
            "JJ36_FINAL_ORDER": ("met", "wb_cwc"),
            "FOLLOW_UP_VISIT": (" ".join(["open"] * 8), "wb_dcpu"),
            "JJ101_APPEAL": ("open open open open open", None),
        },
    )

    # --- ten weeks later the DCPU's caseworker visits her at home ------------------------------
    j.advance(days=70)
    visit = j.case_post(
        "wb_dcpu_cw",
        "follow-up-visits",
        {
            "occurred_at": j.at(hours=2),
            "findings": "Living with her mother; re-admitted to school; no contact from the agent.",
            "risk_level": "low",
            "recommendation": "continue",
        },
        status=201,
    )
    assert visit["number"] == 1
    j.check(
        "first follow-up visit",
        stage="follow_up",
        deadlines={
            "FOLLOW_UP_VISIT": (" ".join(["met"] + ["open"] * 7), "wb_dcpu"),
            "JJ101_APPEAL": ("met met met met met", None),
        },
    )
    kinds = [o["kind"] for o in j.get("wb_dcpu", f"/v1/cases/{j.case_id}/orders").json()["items"]]
    assert kinds == [
        "placement", "sir_direction", "age_determination", "transfer", "escort", "final_order",
    ]  # fmt: skip

    # --- the whole journey, as the log keeps it --------------------------------------------------
    _check_history(j)


def _check_history(j: Journey) -> None:
    """Sequenced, the journey is one history: the home DCPU (owner now) reads every event with
    nothing withheld; the sending AHTU (transfer_sender now) reads it without identity or the
    placement; an auditor of the home state reads it all, redacted, and the export of the whole
    log verifies offline; a stranger gets 404; the owner's feed holds the same events."""
    from app.ledger.verify import verify_export
    from app.ledger.worker import sequence_pending

    h = j.h
    h.run(lambda: sequence_pending(h.runtime))
    path = f"/v1/cases/{j.case_id}/history?limit=200"
    owner = j.get("wb_dcpu", path).json()["items"]
    actions = [e["action"] for e in owner]
    assert actions[0] == "case.created"
    assert {"case.produced", "order.issued", "transfer.accepted", "case.follow_up_visit"} <= set(actions)
    assert [c for e in owner for c in e["changes"] if c.get("redacted")] == []
    sender = j.get("ahtu_supervisor", path).json()["items"]
    # The whole history but the home state's referral, which the sending side does not see.
    left_out = [e["action"] for e in owner if e["id"] not in {s["id"] for s in sender}]
    assert left_out
    assert all(action.startswith("referral.") for action in left_out)
    assert [e["id"] for e in sender] == [e["id"] for e in owner if e["action"] not in left_out]
    withheld = {(c["object"], c["field"]) for e in sender for c in e["changes"] if c.get("redacted")}
    # Where she was placed is safety data, her assignees and visits the owner's casework; the
    # documents are the sender's to read only as its own uploads (documents' endpoints), so an
    # event shows nothing of them.
    assert {(o, f) for o, f in withheld if o == "case"} == {
        ("case", "placement_agency_id"),
        ("case", "assignees"),
        ("case", "follow_up_visits"),
    }
    assert {o for o, _ in withheld} == {"case", "document"}
    assert j.get("wb_stranger", path).status_code == 404
    assert "Rupa" not in str(owner)

    auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, WB), Role.AUDITOR))
    audited = h.client.get(path, headers=auditor).json()["items"]
    assert [e["id"] for e in audited] == [e["id"] for e in owner]  # audit offices oversee all
    size = int(h.sql("SELECT count(*) FROM log_leaves")[0][0])
    export = h.client.get(f"/v1/audit/export?from=0&to={size}", headers=auditor)
    outcome = verify_export(export.content.splitlines(), h.runtime.log_signer.public_key)
    assert outcome.ok, outcome

    followed, after = [], -1
    while True:
        page = j.get("wb_dcpu", f"/v1/changes?after={after}&limit=200").json()
        followed += page["items"]
        after = page["next_after"]
        if page["caught_up"]:
            break
    assert [e["id"] for e in followed if e["case_id"] == j.case_id] == [e["id"] for e in owner]
