"""The books' records as ShipBob's API and webhooks render them (snake_case, ids as integers)."""

from __future__ import annotations

from typing import Any

from mocks.wms.state import Order, Return, Shipment, Subscription, Warehouse, WmsState

STAGE_DESCRIPTIONS = {
    "Queued": ("Processing", "Awaiting a picker"),
    "Picking": ("Picking", "Being picked"),
    "Picked": ("Picked", "Picked, awaiting a packer"),
    "Packing": ("Packing", "Being packed"),
    "Packed": ("Packed", "Packed and labelled, awaiting carrier pickup"),
    "Shipped": ("Shipped", "Handed to the carrier"),
    "Delivered": ("Delivered", "Delivered to the recipient"),
    "Backordered": ("OutOfStock", "Not enough inventory to fulfil; ships when stock arrives"),
    "Cancelled": ("Cancelled", "Cancelled before picking"),
}


def location(warehouse: Warehouse | None) -> dict[str, Any] | None:
    return None if warehouse is None else {"id": warehouse.id, "name": warehouse.name}


def shipment_json(state: WmsState, shipment: Shipment) -> dict[str, Any]:
    order = state.orders[shipment.order_id]
    if shipment.stage == "OnHold":
        name, description = "AddressValidation", shipment.hold_reason or "On hold"
    else:
        name, description = STAGE_DESCRIPTIONS[shipment.stage]
    return {
        "id": shipment.id,
        "order_id": order.id,
        "reference_id": order.reference_id,
        "recipient": order.recipient,
        "created_date": shipment.created_date,
        "last_update_at": shipment.last_update_at,
        "status": shipment.status,
        "status_details": [{"id": 1, "name": name, "description": description}],
        "location": location(shipment.location),
        "tracking": shipment.tracking,
        "is_tracking_uploaded": False,
        "products": [
            {
                "id": state.products[sku].id,
                "reference_id": sku,
                "name": state.products[sku].name,
                "sku": sku,
                "quantity": quantity,
                "inventory_items": [
                    {"id": state.products[sku].id, "name": state.products[sku].name, "quantity": quantity}
                ],
            }
            for sku, quantity in shipment.lines.items()
        ],
        "estimated_fulfillment_date": None,
        "actual_fulfillment_date": shipment.actual_fulfillment_date,
        "delivery_date": shipment.delivery_date,
        "ship_option": order.shipping_method,
    }


def order_json(state: WmsState, order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "created_date": order.created_date,
        "purchase_date": order.created_date,
        "reference_id": order.reference_id,
        "order_number": order.order_number,
        "status": order.status,
        "type": order.type,
        "channel": {"id": order.channel.id, "name": order.channel.name},
        "shipping_method": order.shipping_method,
        "recipient": order.recipient,
        "products": [
            {
                "id": line.product.id,
                "reference_id": line.product.reference_id,
                "sku": line.product.reference_id,
                "name": line.product.name,
                "quantity": line.quantity,
            }
            for line in order.lines
        ],
        "tags": [],
        "shipments": [shipment_json(state, s) for s in order.shipments],
    }


def return_json(record: Return) -> dict[str, Any]:
    return {
        "id": record.id,
        "reference_id": record.reference_id,
        "status": record.status,
        "return_type": "Regular",
        "channel": {"id": record.channel.id, "name": record.channel.name},
        "original_shipment_id": record.shipment.id,
        "store_order_id": None,
        "fulfillment_center": location(record.location),
        "tracking_number": record.tracking_number,
        "insert_date": record.insert_date,
        "arrived_date": record.arrived_date,
        "completed_date": record.completed_date,
        "inventory": [
            {
                "id": item.product.id,
                "name": item.product.name,
                "quantity": item.quantity,
                "action_requested": {"action": "Default", "action_type": "Default"},
                "action_taken": list(item.actions),
            }
            for item in record.items
        ],
        "transactions": [],
    }


def subscription_json(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "topic": subscription.topic,
        "subscription_url": subscription.subscription_url,
        "created_at": subscription.created_at,
    }
